/**
 * The rollout rule of a model as the admin API and the CLI take it and the registry stores it
 * (model_rollouts, one revision per change), its checks against the registry, and its mapping to
 * the pure routing rule of rollout.ts.
 *
 *   { control?: version, canary?: {version, percent}, ab?: {variants: [{version, weight}]},
 *     shadow?: {version, percent}, salt?, metric?, minDetectableEffect?, agreementSample?,
 *     guardrails?: {…}, autoRollback? }
 *
 * A version a rule sends traffic to (canary, A/B, shadow) must be registered under the model's
 * name with the model's kind (VERSION_NOT_FOUND), past the evaluation gate, i.e. not in dev
 * (VERSION_NOT_VERIFIED), and its files must still match the sha256 recorded at registration
 * (MODEL_INTEGRITY). The control defaults to the version this region serves.
 */
import { z } from 'zod';
import { ApiError } from '../../../shared/api/errors.ts';
import type { ModelKind, ModelRegistryStore, RolloutRecord } from '../store/types.ts';
import { RegistryInputError, verifyRegisteredArtifact } from './register-folder.ts';
import { DEFAULT_GUARDRAILS, type Guardrails, type RolloutRule } from './rollout.ts';

export const ROLLOUT_KINDS = ['intent-classifier', 'cross-encoder', 'llm-config', 'routing-config'] as const satisfies readonly ModelKind[];
export type RolloutKind = (typeof ROLLOUT_KINDS)[number];

/** A/B success metrics: `answered` = an LLM answer no degradation touched; `confident` = the classifier cleared its routing threshold. */
export const AB_METRICS = ['answered', 'confident'] as const;
export type AbMetric = (typeof AB_METRICS)[number];

const version = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/, 'must be a version (1-64 letters, digits or . _ + -)');
const percent = z.number().min(0, 'must be within 0-100').max(100, 'must be within 0-100');

/** Shares (0-1) among the guardrails; the others are counts, ratios, milliseconds or a PSI. */
const SHARES = new Set<string>(['minAgreement', 'minBaselineErrorRate']);
const GuardrailsInput = z
  .object(
    Object.fromEntries(Object.keys(DEFAULT_GUARDRAILS).map((k) => [k, (SHARES.has(k) ? z.number().min(0).max(1) : z.number().finite().nonnegative()).optional()])) as Record<
      keyof Guardrails,
      z.ZodOptional<z.ZodNumber>
    >,
  )
  .strict();

const RuleFields = {
  control: version.optional(),
  canary: z.object({ version, percent }).strict().optional(),
  ab: z
    .object({ variants: z.array(z.object({ version, weight: z.number().finite().nonnegative().max(1_000_000) }).strict()).min(2).max(8) })
    .strict()
    .optional(),
  shadow: z.object({ version, percent }).strict().optional(),
  /** Changing it reshuffles who sees which variant (a new experiment). */
  salt: z.string().min(1).max(64).optional(),
  metric: z.enum(AB_METRICS).optional(),
  /** The smallest difference of the metric worth detecting (sample size); default the observed one. */
  minDetectableEffect: z.number().gt(0).lt(1).optional(),
  /** Classifier or reranker canary: the share (0-100) of canary requests the control also runs on, in shadow, for the agreement guardrail. Default 50. */
  agreementSample: percent.optional(),
  guardrails: GuardrailsInput.optional(),
  /** false: guardrail breaches are reported, the canary is not rolled back. Default true. */
  autoRollback: z.boolean().optional(),
};

function refineRule(r: { control?: string; canary?: { version: string }; ab?: { variants: { version: string; weight: number }[] }; shadow?: { version: string } }, ctx: z.RefinementCtx) {
  if (!r.canary && !r.ab && !r.shadow) ctx.addIssue({ code: 'custom', message: 'give a canary, an ab split or a shadow', path: [] });
  if (r.canary && r.ab) ctx.addIssue({ code: 'custom', message: 'a rule is either a canary or an A/B split, not both', path: ['ab'] });
  if (r.ab) {
    const vs = r.ab.variants.map((v) => v.version);
    if (new Set(vs).size !== vs.length) ctx.addIssue({ code: 'custom', message: 'each version may appear once', path: ['ab', 'variants'] });
    if (!(r.ab.variants.reduce((s, v) => s + v.weight, 0) > 0)) ctx.addIssue({ code: 'custom', message: 'the weights sum to 0', path: ['ab', 'variants'] });
  }
  if (r.control && r.canary?.version === r.control) ctx.addIssue({ code: 'custom', message: 'the canary is the control', path: ['canary', 'version'] });
  if (r.control && r.shadow?.version === r.control) ctx.addIssue({ code: 'custom', message: 'the shadow candidate is the control', path: ['shadow', 'version'] });
}

/** What PUT /v1/ops/rollouts/:model and the CLI take. */
export const RolloutRequest = z
  .object({
    ...RuleFields,
    reason: z.string().max(2000).optional(),
    /** Compare-and-set: the revision this change was made against (409 CONFLICT when it moved on). */
    expectedRevision: z.number().int().nonnegative().optional(),
  })
  .strict()
  .superRefine(refineRule);
export type RolloutRequest = z.infer<typeof RolloutRequest>;

const RolledBack = z.object({
  at: z.string(),
  version,
  fromPercent: percent,
  reasons: z.array(z.string()),
  summary: z.string(),
});

/** What the registry stores (model_rollouts.rule). */
export const RolloutSpec = z
  .object({ ...RuleFields, control: version, kind: z.enum(ROLLOUT_KINDS), rolledBack: RolledBack.optional() })
  .strict()
  .superRefine(refineRule);
export type RolloutSpec = z.infer<typeof RolloutSpec>;

/** A stored rule, or null when it does not parse (written by another version of the code): the caller serves control. */
export function parseSpec(rule: Record<string, unknown> | null): RolloutSpec | null {
  if (!rule) return null;
  const r = RolloutSpec.safeParse(rule);
  return r.success ? r.data : null;
}

/** The pure routing rule (rollout.ts) of a spec: variants by version. */
export function routingRule(model: string, spec: RolloutSpec): RolloutRule {
  return {
    model,
    salt: spec.salt ?? 'v1',
    ...(spec.canary
      ? { canary: { percent: spec.canary.percent, control: spec.control, canary: spec.canary.version } }
      : { variants: spec.ab ? spec.ab.variants.map((v) => ({ name: v.version, weight: v.weight })) : [{ name: spec.control, weight: 1 }] }),
    ...(spec.shadow ? { shadow: { percent: spec.shadow.percent, candidate: spec.shadow.version } } : {}),
  };
}

/** Every version a spec routes to besides the control (a canary rolled back to 0% no longer counts). */
export function candidateVersions(spec: RolloutSpec): string[] {
  const canary = spec.canary && !(spec.canary.percent === 0 && spec.rolledBack?.version === spec.canary.version) ? spec.canary.version : undefined;
  const vs = [canary, ...(spec.ab?.variants.map((v) => v.version) ?? []), spec.shadow?.version].filter((v): v is string => !!v && v !== spec.control);
  return [...new Set(vs)];
}

/** Which versions' stats and A/B counts belong to the same experiment: a change of any resets them. */
export function experimentKey(spec: RolloutSpec | null): string {
  if (!spec) return '';
  return JSON.stringify([spec.salt ?? 'v1', spec.control, spec.canary?.version ?? null, spec.ab?.variants.map((v) => v.version) ?? null, spec.shadow?.version ?? null, spec.rolledBack?.at ?? null]);
}

/**
 * Checks a version a rule routes traffic to: registered under `model` with `kind`, not in dev,
 * its files matching the recorded sha256 and readable from here.
 */
export async function checkRoutableVersion(registry: ModelRegistryStore, model: string, kind: RolloutKind, v: string, what: string): Promise<void> {
  const rec = await registry.getModelVersion(model, v);
  if (!rec) throw new ApiError('VERSION_NOT_FOUND', `${what}: no registered version ${model}@${v}`);
  if (rec.kind !== kind) throw new ApiError('INVALID_REQUEST', `${what}: ${model}@${v} is a ${rec.kind}, not a ${kind}`);
  if (rec.stage === 'dev') throw new ApiError('VERSION_NOT_VERIFIED', `${what}: ${model}@${v} is in dev: it has not passed the evaluation gate (promote it to staging first)`);
  let readable: boolean;
  try {
    readable = await verifyRegisteredArtifact(rec);
  } catch (e) {
    if (e instanceof RegistryInputError) throw new ApiError('MODEL_INTEGRITY', `${what}: ${e.message}`);
    throw e;
  }
  if (!readable) throw new ApiError('VERSION_NOT_VERIFIED', `${what}: ${model}@${v} lives at ${rec.artifactUri}, which this region cannot read to verify`);
}

/**
 * The spec a request makes for `model`, checked against the registry. `serving` is the version
 * this region serves as control (null: none; then the registry's production version is used).
 */
export async function specFromRequest(
  registry: ModelRegistryStore,
  model: string,
  kind: RolloutKind,
  req: RolloutRequest,
  serving: string | null,
): Promise<RolloutSpec> {
  const { reason: _r, expectedRevision: _e, ...fields } = req;
  const control = fields.control ?? serving ?? (await registry.getProductionVersion(model))?.version;
  if (!control) throw new ApiError('INVALID_REQUEST', `control: ${model} has no version serving or in production; name the control version`);
  if (control !== serving) await checkRoutableVersion(registry, model, kind, control, 'control');
  const spec = RolloutSpec.safeParse({ ...fields, control, kind });
  if (!spec.success) {
    const i = spec.error.issues[0];
    throw new ApiError('INVALID_REQUEST', `${i.path.join('.') || 'rule'}: ${i.message}`);
  }
  const labels: [string | undefined, string][] = [
    [spec.data.canary?.version, 'canary.version'],
    [spec.data.shadow?.version, 'shadow.version'],
    ...(spec.data.ab?.variants.map((v, i) => [v.version, `ab.variants.${i}.version`] as [string, string]) ?? []),
  ];
  for (const [v, what] of labels) if (v && v !== control) await checkRoutableVersion(registry, model, kind, v, what);
  return spec.data;
}

/** A stored revision as the API and the CLI show it. */
export function describeRollout(r: RolloutRecord) {
  return { model: r.name, revision: r.revision, rule: r.rule, updatedBy: r.actor, updatedAt: r.createdAt.toISOString(), reason: r.reason, details: r.details };
}
