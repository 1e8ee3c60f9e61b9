/**
 * The evaluation gate's decision, pure: a candidate classifier is compared with the baseline on
 * the same golden sets and refused when it regresses by more than a margin on accuracy, routing
 * precision (of the messages it would answer without the LLM), routing coverage or p95 latency.
 * McNemar's test on the paired per-example outcomes says whether an accuracy change is more than
 * noise (reported, not gated: the margins are the contract).
 */
import type { IntentMetrics } from '../../../models/eval/metrics.ts';
import { normalCdf } from './rollout.ts';

/** A model's intent metrics (models/eval/metrics.ts) on one golden set, with its routing figures. */
export interface GateModelResult extends IntentMetrics {
  /** name@version */
  model: string;
  dataset: string;
  routeThreshold: number;
  /** Precision of the confident (routed without the LLM) predictions. */
  routePrecision: number;
  /** Share of messages routed without the LLM. */
  routeCoverage: number;
}

export interface GateLatency {
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
}

export interface GateMargins {
  /** Largest allowed drop in accuracy and in in-scope accuracy (absolute). Default 0.01. */
  accuracy: number;
  /** Largest allowed drop in routing precision (absolute). Default 0.01. */
  routePrecision: number;
  /** Largest allowed drop in routing coverage (absolute). Default 0.05. */
  routeCoverage: number;
  /**
   * Largest allowed p95 latency increase (relative), plus an absolute slack for timer noise.
   * Default 0.25 and 0.05 ms. p95, not p99: on a shared machine about 1% of sub-millisecond
   * queries hit a multi-millisecond scheduler or GC pause whatever the model, so p99 flips
   * between the two regimes from run to run; p99 is reported, not gated.
   */
  latencyRatio: number;
  latencySlackMs: number;
}

export const DEFAULT_MARGINS: GateMargins = { accuracy: 0.01, routePrecision: 0.01, routeCoverage: 0.05, latencyRatio: 0.25, latencySlackMs: 0.05 };

export interface GateCheck {
  dataset: string;
  metric: 'accuracy' | 'inScopeAccuracy' | 'routePrecision' | 'routeCoverage' | 'p95Ms';
  baseline: number;
  candidate: number;
  /** The candidate's value must be ≥ limit (quality) or ≤ limit (latency). */
  limit: number;
  passed: boolean;
  message: string;
}

const pct = (x: number) => `${(x * 100).toFixed(2)}%`;

export function qualityChecks(base: GateModelResult, cand: GateModelResult, m: GateMargins = DEFAULT_MARGINS): GateCheck[] {
  const rows: ['accuracy' | 'inScopeAccuracy' | 'routePrecision' | 'routeCoverage', number][] = [
    ['accuracy', m.accuracy],
    ['inScopeAccuracy', m.accuracy],
    ['routePrecision', m.routePrecision],
    ['routeCoverage', m.routeCoverage],
  ];
  return rows.map(([metric, margin]) => {
    const b = base[metric];
    const c = cand[metric];
    const limit = b - margin;
    const passed = !(c < limit - 1e-12);
    return {
      dataset: base.dataset,
      metric,
      baseline: b,
      candidate: c,
      limit,
      passed,
      message: `${metric} ${pct(c)} vs baseline ${pct(b)} (${passed ? 'within' : 'below'} the ${pct(margin)} margin)`,
    };
  });
}

export function latencyCheck(base: GateLatency, cand: GateLatency, m: GateMargins = DEFAULT_MARGINS): GateCheck {
  const limit = base.p95Ms * (1 + m.latencyRatio) + m.latencySlackMs;
  const passed = cand.p95Ms <= limit;
  return {
    dataset: 'latency',
    metric: 'p95Ms',
    baseline: base.p95Ms,
    candidate: cand.p95Ms,
    limit,
    passed,
    message: `p95 ${cand.p95Ms.toFixed(3)} ms vs baseline ${base.p95Ms.toFixed(3)} ms (limit ${limit.toFixed(3)} ms; p99 ${cand.p99Ms.toFixed(3)} vs ${base.p99Ms.toFixed(3)} ms, not gated)`,
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
