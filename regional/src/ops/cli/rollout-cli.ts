/**
 * Rollout commands of the model registry CLI (`npm run models -- …`), writing the rule straight to
 * the registry the region reads (it picks a change up within ROLLOUT_REFRESH_MS):
 *
 *   canary <name> <version> --percent N [--control v] [--agreement-sample N] [--guardrail key=value]... [--no-auto-rollback]
 *   shadow <name> <version> --percent N [--control v]
 *   ab <name> <version>=<weight> <version>=<weight>... [--metric answered|confident] [--mde x]
 *   rollout <name> [--clear]     the rule in force and its history; --clear removes it
 *
 * Each command changes its part of the rule and keeps the rest (a canary replaces an A/B split
 * and the other way round); --salt starts a new experiment. The versions are checked as the API
 * checks them: registered, not in dev, files matching the recorded sha256.
 */
import { ApiError } from '../../../../shared/api/errors.ts';
import { describeRollout, parseSpec, ROLLOUT_KINDS, RolloutRequest, specFromRequest, type RolloutKind } from '../rollout-rules.ts';
import { DEFAULT_GUARDRAILS } from '../rollout.ts';
import { StoreError, type Store } from '../../store/types.ts';

export const ROLLOUT_COMMANDS = ['canary', 'shadow', 'ab', 'rollout'] as const;

export const ROLLOUT_USAGE = `       npm run models -- canary <name> <version> --percent N [--control v] [--agreement-sample N] [--guardrail key=value]... [--no-auto-rollback] [--reason text]
       npm run models -- shadow <name> <version> --percent N [--control v] [--reason text]
       npm run models -- ab <name> <version>=<weight> <version>=<weight>... [--metric answered|confident] [--mde x] [--salt s] [--reason text]
       npm run models -- rollout <name> [--clear] [--json]`;

export const ROLLOUT_FLAGS = {
  percent: { type: 'string' },
  control: { type: 'string' },
  'agreement-sample': { type: 'string' },
  guardrail: { type: 'string', multiple: true },
  'no-auto-rollback': { type: 'boolean' },
  metric: { type: 'string' },
  mde: { type: 'string' },
  salt: { type: 'string' },
  clear: { type: 'boolean' },
} as const;

export class RolloutUsageError extends Error {}

function num(v: unknown, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== 'string' || v.trim() === '' || !Number.isFinite(n)) throw new RolloutUsageError(`--${flag} must be a number`);
  return n;
}

/** The kind of a model from its registered versions (NOT_FOUND when it has none). */
async function kindOf(store: Store, name: string): Promise<RolloutKind> {
  const [v] = await store.registry.listModelVersions({ name });
  if (!v) throw new StoreError('NOT_FOUND', `no versions of ${name} are registered`);
  if (!(ROLLOUT_KINDS as readonly string[]).includes(v.kind)) throw new ApiError('INVALID_REQUEST', `${name} is a ${v.kind}: rollouts route ${ROLLOUT_KINDS.join(', ')}`);
  return v.kind as RolloutKind;
}

export async function runRolloutCommand(
  command: (typeof ROLLOUT_COMMANDS)[number],
  args: string[],
  values: Record<string, unknown>,
  store: Store,
  actor: string,
  print: (data: unknown, text: () => string) => void,
): Promise<void> {
  const reg = store.registry;
  const name = args[0];
  if (!name) throw new RolloutUsageError(`${command} takes a model name`);
  const current = await reg.getRollout(name);
  if (command === 'rollout') {
    if (args.length !== 1) throw new RolloutUsageError('rollout takes a model name');
    if (values.clear) {
      if (!current?.rule) throw new StoreError('NOT_FOUND', `${name} has no rollout rule`);
      const saved = await reg.putRollout(name, null, { actor, reason: (values.reason as string | undefined) ?? null, expectedRevision: current.revision });
      print({ model: name, revision: saved.revision, removed: true }, () => `${name}: rollout removed (revision ${saved.revision}); all traffic on the control`);
      return;
    }
    const history = await reg.listRolloutHistory(name, { limit: 20 });
    const out = { ...(current ? describeRollout(current) : { model: name, revision: 0, rule: null }), history: history.map(describeRollout) };
    print(out, () => JSON.stringify(out, null, 2));
    return;
  }

  const kind = await kindOf(store, name);
  const prev = parseSpec(current?.rule ?? null);
  // The control when none is named, trusted as what the region serves: the rule's (checked when it
  // was set), else the production version, else the built-in LLM configuration.
  const serving = prev?.control ?? (await reg.getProductionVersion(name))?.version ?? (kind === 'llm-config' ? 'builtin' : null);
  const { kind: _k, rolledBack: _r, ...kept } = prev ?? ({ kind } as NonNullable<typeof prev>);
  // A canary the monitor rolled back (at 0%, its version sent back to dev) is not carried into the next rule.
  if (prev?.rolledBack && prev.canary?.percent === 0 && prev.canary.version === prev.rolledBack.version) delete kept.canary;
  const request: Record<string, unknown> = { ...kept, control: (values.control as string | undefined) ?? prev?.control ?? serving ?? undefined };
  const percent = num(values.percent, 'percent');
  if (command === 'canary' || command === 'shadow') {
    if (args.length !== 2) throw new RolloutUsageError(`${command} takes a model name and a version`);
    if (percent === undefined) throw new RolloutUsageError(`${command} needs --percent`);
    request[command] = { version: args[1], percent };
    if (command === 'canary') {
      delete request.ab;
      const guardrails: Record<string, number> = { ...(prev?.guardrails ?? {}) };
      for (const g of (values.guardrail as string[] | undefined) ?? []) {
        const [k, v] = g.split('=');
        if (!(k in DEFAULT_GUARDRAILS)) throw new RolloutUsageError(`--guardrail: ${k} is not one of ${Object.keys(DEFAULT_GUARDRAILS).join(', ')}`);
        guardrails[k] = num(v, `guardrail ${k}`)!;
      }
      if (Object.keys(guardrails).length) request.guardrails = guardrails;
      if (values['agreement-sample'] !== undefined) request.agreementSample = num(values['agreement-sample'], 'agreement-sample');
      if (values['no-auto-rollback']) request.autoRollback = false;
    }
  } else {
    if (args.length < 3) throw new RolloutUsageError('ab takes a model name and at least two version=weight pairs');
    request.ab = {
      variants: args.slice(1).map((a) => {
        const [version, weight] = a.split('=');
        return { version, weight: num(weight ?? '1', `weight of ${version}`)! };
      }),
    };
    delete request.canary;
    if (values.metric !== undefined) request.metric = values.metric;
    if (values.mde !== undefined) request.minDetectableEffect = num(values.mde, 'mde');
  }
  if (values.salt !== undefined) request.salt = values.salt;
  if (values.reason !== undefined) request.reason = values.reason;
  const parsed = RolloutRequest.safeParse(request);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new ApiError('INVALID_REQUEST', `${i.path.join('.') || 'rule'}: ${i.message}`);
  }
  if (parsed.data.metric === 'confident' && kind !== 'intent-classifier') throw new ApiError('INVALID_REQUEST', 'metric: confident is a classifier metric');
  const spec = await specFromRequest(reg, name, kind, parsed.data, serving);
  const saved = await reg.putRollout(name, spec, { actor, reason: (values.reason as string | undefined) ?? null, expectedRevision: current?.revision ?? 0 });
  print(describeRollout(saved), () => `${name}: rollout revision ${saved.revision} stored (${summary(spec)}); the region applies it within its refresh interval`);
}

function summary(spec: NonNullable<ReturnType<typeof parseSpec>>): string {
  const parts = [`control ${spec.control}`];
  if (spec.canary) parts.push(`canary ${spec.canary.version} at ${spec.canary.percent}%`);
  if (spec.ab) parts.push(`A/B ${spec.ab.variants.map((v) => `${v.version}=${v.weight}`).join(' ')}`);
  if (spec.shadow) parts.push(`shadow ${spec.shadow.version} at ${spec.shadow.percent}%`);
  return parts.join(', ');
}
