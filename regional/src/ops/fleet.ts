/**
 * The fleet view of the ops dashboard, pure (no I/O): every region instance that stored samples in
 * the shared database over a span (GET /v1/ops/fleet), one row each, and the fleet's totals. A
 * row is its instance's samples merged (rates over its own span); the totals add the rows' rates
 * and pool their latency buckets, so the fleet's p50/p99 are exact over every instance's requests.
 */
import { mergeSamples, toPoint, type OpsPoint, type OpsSample } from './timeseries.ts';

export interface FleetRow {
  instance: string;
  samples: number;
  /** When its newest sample was taken (epoch ms): an instance that stopped reporting shows its age. */
  lastSampleAt: number;
  rps: number;
  errorRatio: number;
  p50Ms: number | null;
  p99Ms: number | null;
  generateP99Ms: number | null;
  /** Answers by path (llm, cache, fallback) over the span. */
  paths: Record<string, number>;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  sessions: number;
  turns: number;
  llmActive: number;
  llmConcurrency: number;
}

export interface FleetView {
  instances: FleetRow[];
  totals: Omit<FleetRow, 'instance' | 'lastSampleAt'> & { instances: number };
}

const counts = (s: OpsSample) => ({ paths: s.paths, tokensIn: s.tokensIn, tokensOut: s.tokensOut, costUsd: s.costUsd, sessions: s.sessions, turns: s.turns });
const rates = (p: OpsPoint) => ({ rps: p.rps, errorRatio: p.errorRatio, p50Ms: p.p50Ms, p99Ms: p.p99Ms, generateP99Ms: p.generateP99Ms, llmActive: p.llmActive, llmConcurrency: p.llmConcurrency });

export function fleetView(byInstance: Record<string, readonly OpsSample[]>, boundsMs: readonly number[]): FleetView {
  const merged: OpsSample[] = [];
  const instances: FleetRow[] = [];
  for (const [instance, samples] of Object.entries(byInstance)) {
    if (!samples.length) continue;
    const m = mergeSamples(samples);
    merged.push(m);
    instances.push({ instance, samples: samples.length, lastSampleAt: samples.at(-1)!.t, ...rates(toPoint(m, boundsMs)), ...counts(m) });
  }
  if (!merged.length) {
    return { instances, totals: { instances: 0, samples: 0, rps: 0, errorRatio: 0, p50Ms: null, p99Ms: null, generateP99Ms: null, paths: {}, tokensIn: 0, tokensOut: 0, costUsd: 0, sessions: 0, turns: 0, llmActive: 0, llmConcurrency: 0 } };
  }
  // The instances' spans overlap: the fleet's counts add up over the longest span, its rates add up.
  const all = mergeSamples(merged);
  const total = toPoint({ ...all, intervalMs: Math.max(...merged.map((m) => m.intervalMs)) }, boundsMs);
  const sum = (f: (r: FleetRow) => number) => instances.reduce((n, r) => n + f(r), 0);
  return {
    instances,
    totals: {
      instances: instances.length,
      samples: sum((r) => r.samples),
      ...rates(total),
      rps: sum((r) => r.rps),
      llmActive: sum((r) => r.llmActive),
      llmConcurrency: sum((r) => r.llmConcurrency),
      ...counts(all),
    },
  };
}
