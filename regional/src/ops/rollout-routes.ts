/**
 * Rollout and shadow API of the regional service (admin keys), mounted by ops/routes.ts:
 *
 *   GET    /v1/ops/rollouts                  the rules in force, and the models this region routes
 *   GET    /v1/ops/rollouts/:model           the rule in force and its revision history
 *   PUT    /v1/ops/rollouts/:model           set the rule (canary, ab, shadow; see rollout-rules.ts); the
 *                                            candidates are verified, loaded and warmed before it is stored
 *   DELETE /v1/ops/rollouts/:model           remove the rule (all traffic on the control)
 *   GET    /v1/ops/rollouts/:model/status    rule, candidates, canary decision, per-variant window stats, A/B report, shadow report
 *   POST   /v1/ops/rollouts/:model/evaluate  evaluate the canary guardrails now (a breach rolls back)
 *   GET    /v1/ops/shadow/:model             the shadow comparison report
 *
 * Errors: 400 INVALID_REQUEST (bad rule, percent out of range…), 404 NOT_FOUND (a model this
 * region does not route, no rule), 404 VERSION_NOT_FOUND, 409 VERSION_NOT_VERIFIED (in dev, or
 * unreadable), 422 MODEL_INTEGRITY (files differ from the registered sha256), 409 CONFLICT
 * (expectedRevision is stale), 503 MODEL_UNAVAILABLE (the candidate did not load).
 */
import { Hono, type Context } from 'hono';
import { ApiError, readJsonBody, validate } from '../../../shared/api/errors.ts';
import { requireKey, type AuthVars } from '../http/auth.ts';
import type { Services } from '../services.ts';
import { StoreError } from '../store/types.ts';
import { liveRollouts, rolloutStatus, shadowStatus } from './live-rollouts.ts';
import { candidateVersions, describeRollout, RolloutRequest, specFromRequest } from './rollout-rules.ts';

/** Store refusals as API errors (CONFLICT stays CONFLICT, bad input is INVALID_REQUEST). */
async function stored<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    if (e.code === 'CONFLICT') throw new ApiError('CONFLICT', e.message);
    if (e.code === 'NOT_FOUND') throw new ApiError('NOT_FOUND', e.message);
    if (e.code === 'INVALID_INPUT') throw new ApiError('INVALID_REQUEST', e.message);
    throw e;
  }
}

const actorOf = (c: Context<AuthVars>) => `${c.get('apiKey').name} (admin key ${c.get('apiKey').id})`;

export function rolloutRoutes(s: Services) {
  const live = liveRollouts(s);
  const reg = s.store.registry;
  const app = new Hono<AuthVars>();
  const admin = requireKey(s.store, s.rateLimiter, ['admin']);

  const current = async (model: string) => {
    live.get(model);
    const rec = await reg.getRollout(model);
    if (!rec?.rule) throw new ApiError('NOT_FOUND', `${model} has no rollout rule`);
    return rec;
  };

  app.get('/v1/ops/rollouts', admin, async (c) => {
    const rules = await reg.listRollouts();
    return c.json({ rollouts: rules.map(describeRollout), routed: live.all().map((r) => ({ model: r.name, kind: r.kind, control: r.controlVersion() })) });
  });

  app.get('/v1/ops/rollouts/:model', admin, async (c) => {
    const rec = await current(c.req.param('model'));
    const history = await reg.listRolloutHistory(rec.name, { limit: 50 });
    return c.json({ ...describeRollout(rec), history: history.map(describeRollout) });
  });

  app.put('/v1/ops/rollouts/:model', admin, async (c) => {
    const model = c.req.param('model');
    const ro = live.get(model);
    const body = validate(RolloutRequest, await readJsonBody(c.req.raw, 64 * 1024));
    if (body.metric === 'confident' && ro.kind !== 'intent-classifier') throw new ApiError('INVALID_REQUEST', 'metric: confident is a classifier metric');
    const spec = await stored(() => specFromRequest(reg, model, ro.kind, body, ro.controlVersion()));
    let rec;
    try {
      // Verified, loaded and warmed here before the rule can send it traffic.
      await ro.preload(candidateVersions(spec));
      rec = await stored(() => reg.putRollout(model, spec, { actor: actorOf(c), reason: body.reason ?? null, expectedRevision: body.expectedRevision }));
    } catch (e) {
      ro.apply(ro.record); // drops what was loaded for a rule that was not stored
      throw e;
    }
    ro.apply(rec);
    return c.json({ ...describeRollout(rec), status: rolloutStatus(ro) });
  });

  app.delete('/v1/ops/rollouts/:model', admin, async (c) => {
    const model = c.req.param('model');
    const rec = await current(model);
    const reason = c.req.query('reason') ?? null;
    const saved = await stored(() => reg.putRollout(model, null, { actor: actorOf(c), reason, expectedRevision: rec.revision }));
    live.get(model).apply(saved);
    return c.json({ model, revision: saved.revision, removed: true });
  });

  app.get('/v1/ops/rollouts/:model/status', admin, async (c) => {
    const ro = live.get(c.req.param('model'));
    // Pick up a change made elsewhere (the CLI, another instance) before reporting.
    await ro.refresh().catch(() => {});
    const history = await reg.listRolloutHistory(ro.name, { limit: 10 });
    return c.json({ ...rolloutStatus(ro), history: history.map(describeRollout) });
  });

  app.post('/v1/ops/rollouts/:model/evaluate', admin, async (c) => {
    const ro = live.get(c.req.param('model'));
    const decision = await ro.evaluate();
    return c.json({ decision, status: rolloutStatus(ro) });
  });

  app.get('/v1/ops/shadow/:model', admin, (c) => c.json(shadowStatus(live.get(c.req.param('model')))));

  return app;
}
