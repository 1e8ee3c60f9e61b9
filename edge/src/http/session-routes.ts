/**
 * GET /v1/sessions/:sessionId/turns — the session's stored turns (redacted, as kept), for the
 * client that holds the id and for operators.
 *
 * POST /v1/sessions/:sessionId/turns — a turn the browser widget answered on the device (template
 * or on-device cache), so the edge's view of the session is complete and the next follow-up sent
 * to the edge resolves against it. The edge resolves the message itself (it does not take the
 * device's entities on trust); only a known intent and a device path are accepted.
 */
import type { Hono } from 'hono';
import { z } from 'zod';
import { MAX_BODY_BYTES, MAX_MESSAGE_CHARS } from '../../../shared/api/chat.ts';
import { ApiError, readJsonBody, validate } from '../../../shared/api/errors.ts';
import { resolveFollowUp } from '../../../shared/conversation/follow-up.ts';
import { contextOf } from '../../../shared/conversation/session-turns.ts';
import { edgeDeps } from '../edge-deps.ts';
import type { EdgeEnv } from '../env.ts';
import { durableSession } from '../session/session-client.ts';
import { edgeMetrics } from './metrics.ts';

const SessionId = z.string().min(1).max(128);
export const DeviceTurn = z.strictObject({
  message: z.string().trim().min(1, 'message must not be empty').max(MAX_MESSAGE_CHARS),
  answer: z.string().max(MAX_MESSAGE_CHARS * 4),
  intent: z.string().min(1).max(64),
  path: z.enum(['template', 'cache']),
});

export function sessionRoutes(app: Hono<{ Bindings: EdgeEnv }>, waitUntil: (c: unknown) => (p: Promise<unknown>) => void): void {
  app.get('/v1/sessions/:sessionId/turns', async (c) => {
    const sessionId = validate(SessionId, c.req.param('sessionId'));
    const ns = c.env.SESSIONS;
    if (!ns) throw new ApiError('UPSTREAM_UNAVAILABLE', 'no session store is configured');
    try {
      const turns = await ns.get(ns.idFromName(sessionId)).turns();
      return c.json({ sessionId, turns });
    } catch {
      throw new ApiError('UPSTREAM_UNAVAILABLE', 'the session store is unavailable');
    }
  });

  app.post('/v1/sessions/:sessionId/turns', async (c) => {
    const sessionId = validate(SessionId, c.req.param('sessionId'));
    const turn = validate(DeviceTurn, await readJsonBody(c.req.raw, MAX_BODY_BYTES));
    const d = await edgeDeps(c.env);
    if (!d.routes.intents[turn.intent]) throw new ApiError('INVALID_REQUEST', `unknown intent "${turn.intent}"`);
    const session = durableSession(c.env.SESSIONS, sessionId, {
      timeoutMs: sessionTimeoutMs(c.env),
      background: waitUntil(c),
      onError: (op) => edgeMetrics.sessionError(op),
    });
    let context;
    try {
      context = contextOf(await session.open());
    } catch {
      throw new ApiError('UPSTREAM_UNAVAILABLE', 'the session store is unavailable; the turn was not recorded');
    }
    const r = resolveFollowUp(turn.message, context, d.dialogue);
    session.record({ at: Date.now(), text: turn.message, resolved: r.text, intent: turn.intent, entities: r.entities, path: turn.path, answer: turn.answer, origin: 'device' });
    return c.json({ recorded: true, resolved: { text: r.text, carried: r.carried, entities: r.entities, confidence: r.confidence } }, 202);
  });
}

/** SESSION_TIMEOUT_MS, default 300 ms. */
export function sessionTimeoutMs(env: EdgeEnv): number {
  const v = Number(env.SESSION_TIMEOUT_MS);
  return Number.isFinite(v) && v > 0 ? v : 300;
}
