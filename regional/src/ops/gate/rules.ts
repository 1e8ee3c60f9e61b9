/**
 * The evaluation gate's decision, pure: a candidate classifier is compared with the baseline on
 * the same golden sets and refused when it regresses by more than a margin on accuracy, routing
 * precision (of the messages it would answer without the LLM), routing coverage or p99 latency.
 * McNemar's test on the paired per-example outcomes says whether an accuracy change is more than
 * noise (reported, not gated: the margins are the contract).
 */
import { percentile, type IntentMetrics } from '../../../../shared/eval/metrics.ts';
import { normalCdf } from '../rollout.ts';

/** A model's intent metrics (shared/eval/metrics.ts) on one golden set, with its routing figures. */
export interface GateModelResult extends IntentMetrics {
  /** name@version */
  model: string;
  dataset: string;
  routeThreshold: number;
  /** Precision of the confident predictions (answered without the LLM: in-scope over the routing threshold, trusted oos declines). */
  routePrecision: number;
  /** Share of messages routed without the LLM. */
  routeCoverage: number;
}

/** One model's single-query latency, measured in rounds interleaved with the other model's. */
export interface GateLatency {
  /** Over all rounds' samples pooled. */
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** p99 of each round, in round order. */
  roundP99Ms: number[];
  /** Median of roundP99Ms: the gated figure. */
  p99MedianMs: number;
}

/** Per-round p99 ratios candidate ÷ baseline (the same round, so the same machine noise). */
export interface LatencySpread {
  rounds: number;
  min: number;
  q1: number;
  median: number;
  q3: number;
  max: number;
}

export interface GateMargins {
  /** Largest allowed drop in accuracy and in in-scope accuracy (absolute). Default 0.01. */
  accuracy: number;
  /** Largest allowed drop in routing precision (absolute). Default 0.01. */
  routePrecision: number;
  /** Largest allowed drop in routing coverage (absolute). Default 0.05. */
  routeCoverage: number;
  /**
   * Largest allowed p99 latency increase, as a ratio: the candidate's median per-round p99 may be
   * at most (1 + latencyRatio) × the baseline's, plus an absolute slack for timer noise. Default
   * 0.3 and 0.05 ms. One round's p99 on a shared machine flips with the ~1% of queries that hit
   * a scheduler or GC pause; both models are timed query by query in the same rounds, so a
   * pause hits both, and the median over rounds ignores the rounds where it lands on one only.
   */
  latencyRatio: number;
  latencySlackMs: number;
  /** Embedders: largest allowed drop in semantic-cache hit precision (absolute). Default 0.02. */
  cachePrecision: number;
  /** Embedders: largest allowed drop in semantic-cache hit recall (absolute). Default 0.05. */
  cacheRecall: number;
  /** Embedders: largest allowed drop in STS-B Spearman correlation (absolute). Default 0.01. */
  stsSpearman: number;
  /** Rerankers: largest allowed drop in nDCG@10 and in recall@5 on the store's questions (absolute). Default 0.02. */
  ranking: number;
  /** LLM configurations: largest allowed drop in fact recall, correct declines and grounding on the golden answer set. Default 0.02. */
  answers: number;
  /** LLM configurations: largest allowed rise of the wrong-fact rate. Default 0.005. */
  wrongFacts: number;
}

export const DEFAULT_MARGINS: GateMargins = {
  accuracy: 0.01,
  routePrecision: 0.01,
  routeCoverage: 0.05,
  latencyRatio: 0.3,
  latencySlackMs: 0.05,
  cachePrecision: 0.02,
  cacheRecall: 0.05,
  stsSpearman: 0.01,
  ranking: 0.02,
  answers: 0.02,
  wrongFacts: 0.005,
};

/** A reranker on the store knowledge base's held-out questions, reordering the hybrid top 30. */
export interface RerankerGateResult {
  model: string;
  dataset: string;
  questions: number;
  candidates: number;
  ndcg10: number;
  recall5: number;
  mrr: number;
}

/**
 * A sentence embedder on the gate's golden sets: paraphrase pairs (MRPC test) at the semantic
 * cache's configured hit threshold (domains/kitsune-books/cache.json: what the cache would do with
 * this embedder swapped in), and STS-B test.
 */
export interface EmbedderGateResult {
  model: string;
  dataset: string;
  hitThreshold: number;
  pairs: number;
  /** Share of the pairs at or above the hit threshold that are paraphrases. */
  cachePrecision: number;
  /** Share of the paraphrase pairs at or above the hit threshold. */
  cacheRecall: number;
  stsSpearman: number;
}

export interface GateCheck {
  dataset: string;
  metric: 'accuracy' | 'inScopeAccuracy' | 'routePrecision' | 'routeCoverage' | 'cachePrecision' | 'cacheRecall' | 'stsSpearman' | 'ndcg10' | 'recall5' | 'p99Ms' | AnswerMetric;
  baseline: number;
  candidate: number;
  /** The candidate's value must be ≥ limit (quality) or ≤ limit (latency). */
  limit: number;
  passed: boolean;
  message: string;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function qualityChecks(base: GateModelResult, cand: GateModelResult, m: GateMargins = DEFAULT_MARGINS): GateCheck[] {
  return (['accuracy', 'inScopeAccuracy', 'routePrecision', 'routeCoverage'] as const).map((metric) =>
    floorCheck(base.dataset, metric, base[metric], cand[metric], metric === 'inScopeAccuracy' ? m.accuracy : m[metric]),
  );
}

export function embedderChecks(base: EmbedderGateResult, cand: EmbedderGateResult, m: GateMargins = DEFAULT_MARGINS): GateCheck[] {
  return (['cachePrecision', 'cacheRecall', 'stsSpearman'] as const).map((metric) => floorCheck(base.dataset, metric, base[metric], cand[metric], m[metric]));
}

/** An LLM configuration's figures on the golden answer set (scripts/eval/answers.ts). */
export interface AnswerGateResult {
  model: string;
  questions: number;
  factRecall: number;
  wrongFactRate: number;
  declineRate: number;
  grounding: number;
  generatorP99Ms: number | null;
}
export type AnswerMetric = 'factRecall' | 'wrongFactRate' | 'declineRate' | 'grounding';

/**
 * LLM configurations: fact recall, correct declines and grounding may fall at most `answers`
 * below the baseline's; the wrong-fact rate may rise at most `wrongFacts` above it.
 */
export function answerChecks(base: AnswerGateResult, cand: AnswerGateResult, m: GateMargins = DEFAULT_MARGINS): GateCheck[] {
  const floors = (['factRecall', 'declineRate', 'grounding'] as const).map((metric) => floorCheck('golden-answers', metric, base[metric], cand[metric], m.answers));
  const limit = base.wrongFactRate + m.wrongFacts;
  const passed = cand.wrongFactRate <= limit + 1e-12;
  return [
    ...floors,
    { dataset: 'golden-answers', metric: 'wrongFactRate', baseline: base.wrongFactRate, candidate: cand.wrongFactRate, limit, passed, message: `wrongFactRate ${pct(cand.wrongFactRate)} vs baseline ${pct(base.wrongFactRate)} (${passed ? 'within' : 'above'} the ${pct(m.wrongFacts)} margin)` },
  ];
}

export function rerankerChecks(base: RerankerGateResult, cand: RerankerGateResult, m: GateMargins = DEFAULT_MARGINS): GateCheck[] {
  return (['ndcg10', 'recall5'] as const).map((metric) => floorCheck(base.dataset, metric, base[metric], cand[metric], m.ranking));
}

/** The candidate's figure may fall at most `margin` below the baseline's. */
function floorCheck(dataset: string, metric: GateCheck['metric'], b: number, c: number, margin: number): GateCheck {
  const limit = b - margin;
  const passed = !(c < limit - 1e-12);
  return { dataset, metric, baseline: b, candidate: c, limit, passed, message: `${metric} ${pct(c)} vs baseline ${pct(b)} (${passed ? 'within' : 'below'} the ${pct(margin)} margin)` };
}

/** The spread of the per-round candidate ÷ baseline p99 ratios (rounds paired by index). */
export function latencySpread(base: GateLatency, cand: GateLatency): LatencySpread {
  const n = Math.min(base.roundP99Ms.length, cand.roundP99Ms.length);
  const r = Array.from({ length: n }, (_, i) => cand.roundP99Ms[i] / base.roundP99Ms[i]);
  return { rounds: n, min: percentile(r, 0), q1: percentile(r, 25), median: percentile(r, 50), q3: percentile(r, 75), max: percentile(r, 100) };
}

export function latencyCheck(base: GateLatency, cand: GateLatency, m: GateMargins = DEFAULT_MARGINS): GateCheck {
  const limit = base.p99MedianMs * (1 + m.latencyRatio) + m.latencySlackMs;
  const passed = cand.p99MedianMs <= limit;
  const s = latencySpread(base, cand);
  const ratio = cand.p99MedianMs / base.p99MedianMs;
  return {
    dataset: 'latency',
    metric: 'p99Ms',
    baseline: base.p99MedianMs,
    candidate: cand.p99MedianMs,
    limit,
    passed,
    message:
      `p99 (median of ${s.rounds} rounds) ${cand.p99MedianMs.toFixed(3)} ms vs baseline ${base.p99MedianMs.toFixed(3)} ms, ratio ${ratio.toFixed(2)} ` +
      `(limit ${limit.toFixed(3)} ms); per-round ratio median ${s.median.toFixed(2)}, IQR ${s.q1.toFixed(2)}–${s.q3.toFixed(2)}, range ${s.min.toFixed(2)}–${s.max.toFixed(2)}`,
  };
}

/**
 * McNemar's test (with continuity correction) on paired outcomes: `b` examples only the baseline
 * got right, `c` only the candidate. Two-sided p-value; 1 when they never disagree.
 */
export function mcnemar(b: number, c: number): { b: number; c: number; chi2: number; pValue: number } {
  if (b + c === 0) return { b, c, chi2: 0, pValue: 1 };
  const chi2 = Math.max(0, Math.abs(b - c) - 1) ** 2 / (b + c);
  return { b, c, chi2, pValue: 2 * (1 - normalCdf(Math.sqrt(chi2))) };
}
