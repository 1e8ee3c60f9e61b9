/**
 * Rollout routing for a model, pure (no I/O; runs anywhere, edge included):
 *
 * - Sticky assignment: a variant from a hash of the user id (else the session id) with the
 *   rule's salt and model name, so a user sees the same variant on every request and tier, and
 *   different models split independently. Canary membership is monotone in the percentage: a
 *   user in the canary at 5% is still in it at 10%.
 * - Shadow mode: a decision to also run the candidate on a copy of the request; its output is
 *   only logged, never served (the caller runs it off the serving path).
 * - Canary guardrails: error rate, p99 latency and, for a classifier or reranker, agreement with the control
 *   and the PSI of its confidence distribution against the control's; a breach returns a
 *   rollback decision with machine-readable reasons.
 * - A/B statistics: a two-proportion z-test and the per-variant sample size a difference needs.
 */
import { psi } from './drift.ts';

// ---- hashing and assignment -----------------------------------------------------------------

/** 32-bit FNV-1a over the UTF-16 code units, then a murmur3 finalizer for avalanche. */
export function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A uniform point in [0, 1) for a unit (user or session) under a model's rule. */
export function unitPoint(model: string, salt: string, unit: string): number {
  return hash32(`${salt}\u0000${model}\u0000${unit}`) / 2 ** 32;
}

export interface Variant {
  name: string;
  /** Relative weight (any non-negative numbers; normalized). */
  weight: number;
}

export interface RolloutRule {
  model: string;
  /** Changing it reshuffles everyone (a new experiment); keep it fixed for one. Default "v1". */
  salt?: string;
  /** A/B split: variants by weight. */
  variants?: Variant[];
  /** Canary: this percentage (0–100) gets `canary`, the rest `control` (applied before `variants`). */
  canary?: { percent: number; control: string; canary: string };
  /** Shadow: this percentage (0–100) of requests also runs `candidate`, output logged, never served. */
  shadow?: { percent: number; candidate: string };
}

export interface AssignmentUnit {
  userId?: string | null;
  sessionId?: string | null;
}

export interface Assignment {
  variant: string;
  /** Which id the assignment keyed on. */
  keyedBy: 'user' | 'session';
  /** Run this candidate in shadow (after or beside the served answer, never instead of it). */
  shadow: string | null;
}

export class RolloutError extends Error {
  constructor(
    readonly code: 'INVALID_RULE' | 'NO_UNIT',
    message: string,
  ) {
    super(message);
    this.name = 'RolloutError';
  }
}

export function checkRule(rule: RolloutRule): void {
  const pct = (p: number, what: string) => {
    if (!(p >= 0 && p <= 100)) throw new RolloutError('INVALID_RULE', `${rule.model}: ${what} must be within 0–100, got ${p}`);
  };
  if (!rule.model) throw new RolloutError('INVALID_RULE', 'a rule needs a model');
  if (rule.canary) pct(rule.canary.percent, 'canary.percent');
  if (rule.shadow) pct(rule.shadow.percent, 'shadow.percent');
  if (rule.variants) {
    if (!rule.variants.length) throw new RolloutError('INVALID_RULE', `${rule.model}: variants is empty`);
    if (rule.variants.some((v) => !(v.weight >= 0) || !v.name)) throw new RolloutError('INVALID_RULE', `${rule.model}: every variant needs a name and a weight >= 0`);
    if (!(rule.variants.reduce((s, v) => s + v.weight, 0) > 0)) throw new RolloutError('INVALID_RULE', `${rule.model}: the variant weights sum to 0`);
  }
  if (!rule.canary && !rule.variants) throw new RolloutError('INVALID_RULE', `${rule.model}: give variants or a canary`);
}

/**
 * The variant for a user (or, when anonymous, a session): the same input always gives the same
 * answer. Canary and A/B use independent hash streams; shadow sampling uses its own too, so a
 * user's shadow membership does not depend on their variant.
 */
export function assign(rule: RolloutRule, unit: AssignmentUnit): Assignment {
  checkRule(rule);
  const keyedBy = unit.userId ? 'user' : unit.sessionId ? 'session' : null;
  if (!keyedBy) throw new RolloutError('NO_UNIT', 'assignment needs a userId or a sessionId');
  const id = `${keyedBy}:${keyedBy === 'user' ? unit.userId : unit.sessionId}`;
  const salt = rule.salt ?? 'v1';
  let variant: string;
  if (rule.canary) {
    variant = unitPoint(rule.model, `${salt}/canary`, id) * 100 < rule.canary.percent ? rule.canary.canary : rule.canary.control;
  } else {
    const vs = rule.variants!;
    const total = vs.reduce((s, v) => s + v.weight, 0);
    let x = unitPoint(rule.model, `${salt}/ab`, id) * total;
    variant = vs[vs.length - 1].name;
    for (const v of vs) {
      if (x < v.weight) {
        variant = v.name;
        break;
      }
      x -= v.weight;
    }
  }
  const shadow =
    rule.shadow && rule.shadow.candidate !== variant && unitPoint(rule.model, `${salt}/shadow`, id) * 100 < rule.shadow.percent ? rule.shadow.candidate : null;
  return { variant, keyedBy, shadow };
}

// ---- canary guardrails --------------------------------------------------------------------

export interface VariantStats {
  requests: number;
  errors: number;
  /** Latency p99 in ms over the same window. */
  p99Ms: number;
  /** Classifier only: confidence histogram (counts over equal bins) of this variant's predictions. */
  confidenceHistogram?: number[];
}

export interface CanaryObservation {
  control: VariantStats;
  canary: VariantStats;
  /** Classifier or reranker: requests both variants ran on (the control in shadow), and how many agreed (a reranker: the sum of top-5 overlaps). */
  agreement?: { compared: number; agreed: number };
}

export interface Guardrails {
  /** No decision before the canary has this many requests. Default 200. */
  minRequests: number;
  /** Roll back when the canary's error rate exceeds this multiple of the control's. Default 2. */
  errorRateRatio: number;
  /** Floor for the control's error rate in that comparison (a control with 0 errors). Default 0.001. */
  minBaselineErrorRate: number;
  /** And at least this many canary errors (a ratio over a handful of errors is noise). Default 5. */
  minErrors: number;
  /** Roll back when canary p99 > control p99 × this and by more than p99SlackMs. Default 1.5 and 5 ms. */
  p99Ratio: number;
  p99SlackMs: number;
  /** Classifier or reranker: roll back when agreement with the control falls below this. Default 0.9 over ≥ 100 compared. */
  minAgreement: number;
  minCompared: number;
  /** Classifier: roll back when the PSI of canary vs control confidence exceeds this. Default 0.2. */
  maxConfidencePsi: number;
}

export const DEFAULT_GUARDRAILS: Guardrails = {
  minRequests: 200,
  errorRateRatio: 2,
  minBaselineErrorRate: 0.001,
  minErrors: 5,
  p99Ratio: 1.5,
  p99SlackMs: 5,
  minAgreement: 0.9,
  minCompared: 100,
  maxConfidencePsi: 0.2,
};

export type GuardrailCode = 'ERROR_RATE' | 'P99_LATENCY' | 'AGREEMENT' | 'CONFIDENCE_DRIFT';

export interface CanaryDecision {
  action: 'wait' | 'continue' | 'rollback';
  reasons: { code: GuardrailCode; message: string; canary: number; control: number; limit: number }[];
  /** One line for the rollback record. */
  summary: string;
}

export function evaluateCanary(o: CanaryObservation, g: Partial<Guardrails> = {}): CanaryDecision {
  const G = { ...DEFAULT_GUARDRAILS, ...g };
  const reasons: CanaryDecision['reasons'] = [];
  const { control: ctl, canary: can } = o;
  if (can.requests >= G.minRequests && ctl.requests > 0) {
    const ctlRate = ctl.errors / ctl.requests;
    const canRate = can.errors / can.requests;
    const limit = G.errorRateRatio * Math.max(ctlRate, G.minBaselineErrorRate);
    if (canRate > limit && can.errors >= G.minErrors) {
      reasons.push({ code: 'ERROR_RATE', message: `canary error rate ${pct(canRate)} > ${G.errorRateRatio}× control ${pct(ctlRate)}`, canary: canRate, control: ctlRate, limit });
    }
    const p99Limit = Math.max(ctl.p99Ms * G.p99Ratio, ctl.p99Ms + G.p99SlackMs);
    if (can.p99Ms > p99Limit) {
      reasons.push({ code: 'P99_LATENCY', message: `canary p99 ${can.p99Ms.toFixed(1)} ms > ${p99Limit.toFixed(1)} ms (control ${ctl.p99Ms.toFixed(1)} ms)`, canary: can.p99Ms, control: ctl.p99Ms, limit: p99Limit });
    }
    if (can.confidenceHistogram && ctl.confidenceHistogram && sum(can.confidenceHistogram) > 0 && sum(ctl.confidenceHistogram) > 0) {
      const d = psi(ctl.confidenceHistogram, can.confidenceHistogram);
      if (d > G.maxConfidencePsi) {
        reasons.push({ code: 'CONFIDENCE_DRIFT', message: `canary confidence distribution PSI ${d.toFixed(3)} vs control > ${G.maxConfidencePsi}`, canary: d, control: 0, limit: G.maxConfidencePsi });
      }
    }
  }
  if (o.agreement && o.agreement.compared >= G.minCompared) {
    const a = o.agreement.agreed / o.agreement.compared;
    if (a < G.minAgreement) {
      reasons.push({ code: 'AGREEMENT', message: `canary agrees with control on ${pct(a)} of ${o.agreement.compared} requests (< ${pct(G.minAgreement)})`, canary: a, control: 1, limit: G.minAgreement });
    }
  }
  if (reasons.length) return { action: 'rollback', reasons, summary: `canary rolled back: ${reasons.map((r) => r.message).join('; ')}` };
  if (can.requests < G.minRequests) return { action: 'wait', reasons, summary: `waiting for ${G.minRequests} canary requests (${can.requests} so far)` };
  return { action: 'continue', reasons, summary: 'canary within guardrails' };
}

// ---- A/B statistics ----------------------------------------------------------------------

/** Standard normal CDF (Abramowitz–Stegun 7.1.26 on erf; |error| < 1.5e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return z >= 0 ? (1 + y) / 2 : (1 - y) / 2;
}

/** Inverse standard normal CDF (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

export interface Proportion {
  successes: number;
  trials: number;
}

export interface TwoProportionResult {
  pA: number;
  pB: number;
  /** pB − pA */
  difference: number;
  z: number;
  /** Two-sided. */
  pValue: number;
  significant: boolean;
  /** (1 − alpha) confidence interval of the difference (unpooled standard error). */
  ci: [number, number];
}

/** Two-sided two-proportion z-test (pooled standard error) of B against A. */
export function twoProportionTest(a: Proportion, b: Proportion, alpha = 0.05): TwoProportionResult {
  for (const [k, x] of [['A', a], ['B', b]] as const) {
    if (!(x.trials > 0) || !(x.successes >= 0) || x.successes > x.trials) throw new RangeError(`variant ${k}: need 0 <= successes <= trials and trials > 0`);
  }
  const pA = a.successes / a.trials;
  const pB = b.successes / b.trials;
  const pooled = (a.successes + b.successes) / (a.trials + b.trials);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / a.trials + 1 / b.trials));
  const z = se > 0 ? (pB - pA) / se : 0;
  const pValue = se > 0 ? 2 * (1 - normalCdf(Math.abs(z))) : 1;
  const seU = Math.sqrt((pA * (1 - pA)) / a.trials + (pB * (1 - pB)) / b.trials);
  const zc = normalQuantile(1 - alpha / 2);
  return { pA, pB, difference: pB - pA, z, pValue, significant: pValue < alpha, ci: [pB - pA - zc * seU, pB - pA + zc * seU] };
}

/**
 * Per-variant sample size for a two-sided two-proportion test to detect a change from `p1` to
 * `p2` with the given alpha and power (the standard formula with the pooled variance under H0).
 */
export function requiredSampleSize(p1: number, p2: number, alpha = 0.05, power = 0.8): number {
  if (!(p1 > 0 && p1 < 1 && p2 > 0 && p2 < 1) || p1 === p2) throw new RangeError('requiredSampleSize: need two different proportions in (0, 1)');
  const za = normalQuantile(1 - alpha / 2);
  const zb = normalQuantile(power);
  const pbar = (p1 + p2) / 2;
  const n = (za * Math.sqrt(2 * pbar * (1 - pbar)) + zb * Math.sqrt(p1 * (1 - p1) + p2 * (1 - p2))) ** 2 / (p1 - p2) ** 2;
  return Math.ceil(n);
}

export interface AbReport {
  metric: string;
  variants: { name: string; successes: number; trials: number; rate: number }[];
  test: TwoProportionResult;
  /** Per variant, to detect the observed difference (or `minDetectableEffect` when given). */
  requiredPerVariant: number | null;
  /** Enough data for that size in both variants. */
  enoughData: boolean;
}

/** Per-variant counts and the significance of B vs A on a success metric. */
export function abReport(metric: string, a: { name: string } & Proportion, b: { name: string } & Proportion, opts: { alpha?: number; power?: number; minDetectableEffect?: number } = {}): AbReport {
  const test = twoProportionTest(a, b, opts.alpha);
  const target = opts.minDetectableEffect !== undefined ? test.pA + opts.minDetectableEffect : test.pB;
  let required: number | null = null;
  try {
    required = requiredSampleSize(test.pA, target, opts.alpha, opts.power);
  } catch {
    required = null;
  }
  return {
    metric,
    variants: [a, b].map((v) => ({ name: v.name, successes: v.successes, trials: v.trials, rate: v.successes / v.trials })),
    test,
    requiredPerVariant: required,
    enoughData: required !== null && a.trials >= required && b.trials >= required,
  };
}

function sum(xs: readonly number[]): number {
  return xs.reduce((s, x) => s + x, 0);
}

function pct(x: number): string {
  return `${(x * 100).toFixed(2)}%`;
}
