/**
 * Per-variant statistics of a live rollout over a sliding window (buckets, like the drift
 * windows): requests, errors, latency (p50/p99 from a bounded reservoir per bucket), the
 * classifier's confidence histogram and its agreement with the control (compared in shadow).
 * And the A/B counts of the chosen metric, since the experiment started.
 */
import { percentile } from '../../../shared/eval/metrics.ts';
import { CONFIDENCE_BINS, confidenceBin } from './drift.ts';
import type { CanaryObservation, VariantStats } from './rollout.ts';

/** One bucket of one version's window (what instances share: rollout-fleet.ts). */
export interface WindowBucket {
  start: number;
  requests: number;
  errors: number;
  /** Latency reservoir (uniform sample of this bucket's requests). */
  ms: number[];
  confidence: number[];
  compared: number;
  agreed: number;
}

export interface VariantReport extends VariantStats {
  errorRate: number | null;
  p50Ms: number;
  confidenceHistogram: number[];
  /** Classifier canary only: requests the control also classified (in shadow) and how many agreed. */
  agreement: { compared: number; agreed: number; rate: number | null };
}

export interface WindowOptions {
  windowMs: number;
  /** Default windowMs / 30 (at least 1 s). */
  bucketMs?: number;
  /** Latency samples kept per bucket and variant. Default 2048. */
  reservoir?: number;
  now?: () => number;
  random?: () => number;
}

export class VariantWindows {
  readonly windowMs: number;
  private readonly bucketMs: number;
  private readonly reservoir: number;
  private readonly now: () => number;
  private readonly random: () => number;
  private readonly byVersion = new Map<string, WindowBucket[]>();

  constructor(o: WindowOptions) {
    this.windowMs = o.windowMs;
    this.bucketMs = o.bucketMs ?? Math.max(1000, Math.floor(o.windowMs / 30));
    this.reservoir = o.reservoir ?? 2048;
    this.now = o.now ?? Date.now;
    this.random = o.random ?? Math.random;
    if (!(this.windowMs > 0) || !(this.bucketMs > 0) || this.bucketMs > this.windowMs) throw new RangeError('VariantWindows: need 0 < bucketMs <= windowMs');
  }

  /** One served request of `version`: its latency, whether it failed, the classifier's confidence. */
  observe(version: string, r: { ms: number; error: boolean; confidence?: number }): void {
    const b = this.bucket(version);
    b.requests++;
    if (r.error) b.errors++;
    else if (r.confidence !== undefined) b.confidence[confidenceBin(r.confidence)]++;
    // Reservoir sampling (Algorithm R) keeps a uniform sample of the bucket's latencies.
    if (b.ms.length < this.reservoir) b.ms.push(r.ms);
    else {
      const j = Math.floor(this.random() * b.requests);
      if (j < this.reservoir) b.ms[j] = r.ms;
    }
  }

  /** One shadow comparison of a canary request with the control: agreed, or the share it agreed on (0-1). */
  compared(version: string, agreed: boolean | number): void {
    const b = this.bucket(version);
    b.compared++;
    b.agreed += typeof agreed === 'number' ? Math.min(1, Math.max(0, agreed)) : agreed ? 1 : 0;
  }

  report(version: string): VariantReport {
    const buckets = this.live(version);
    let requests = 0;
    let errors = 0;
    let compared = 0;
    let agreed = 0;
    const confidence = new Array<number>(CONFIDENCE_BINS).fill(0);
    const ms: number[] = [];
    for (const b of buckets) {
      requests += b.requests;
      errors += b.errors;
      compared += b.compared;
      agreed += b.agreed;
      for (let i = 0; i < CONFIDENCE_BINS; i++) confidence[i] += b.confidence[i];
      ms.push(...b.ms);
    }
    return {
      requests,
      errors,
      errorRate: requests ? errors / requests : null,
      p50Ms: ms.length ? percentile(ms, 50) : 0,
      p99Ms: ms.length ? percentile(ms, 99) : 0,
      confidenceHistogram: confidence,
      agreement: { compared, agreed, rate: compared ? agreed / compared : null },
    };
  }

  /** What evaluateCanary takes; agreement is the canary's comparisons with the control. */
  observation(control: string, canary: string): CanaryObservation {
    const c = this.report(control);
    const k = this.report(canary);
    const strip = (r: VariantReport): VariantStats => ({ requests: r.requests, errors: r.errors, p99Ms: r.p99Ms, ...(r.confidenceHistogram.some((x) => x > 0) ? { confidenceHistogram: r.confidenceHistogram } : {}) });
    return { control: strip(c), canary: strip(k), agreement: { compared: k.agreement.compared, agreed: k.agreement.agreed } };
  }

  /** This window's live buckets per version, each latency reservoir cut to `maxMs` samples (for sharing). */
  snapshot(maxMs = 256): Record<string, WindowBucket[]> {
    const out: Record<string, WindowBucket[]> = {};
    for (const v of this.versions()) out[v] = this.live(v).map((b) => ({ ...b, ms: b.ms.length > maxMs ? b.ms.filter((_, i) => i % Math.ceil(b.ms.length / maxMs) === 0) : [...b.ms], confidence: [...b.confidence] }));
    return out;
  }

  /** A window holding the buckets of several snapshots (several instances' windows of one experiment): counts add up, latency samples pool. */
  static merged(o: WindowOptions, snapshots: Record<string, WindowBucket[]>[]): VariantWindows {
    const w = new VariantWindows(o);
    for (const snap of snapshots) {
      for (const [version, buckets] of Object.entries(snap)) {
        if (!Array.isArray(buckets)) continue;
        const list = w.byVersion.get(version) ?? [];
        list.push(...buckets.filter(isBucket).map((b) => ({ ...b, ms: [...b.ms], confidence: [...b.confidence] })));
        list.sort((a, b) => a.start - b.start);
        w.byVersion.set(version, list);
      }
    }
    return w;
  }

  versions(): string[] {
    return [...this.byVersion.keys()].filter((v) => this.live(v).length > 0);
  }

  reset(): void {
    this.byVersion.clear();
  }

  private bucket(version: string): WindowBucket {
    const now = this.now();
    const start = now - (now % this.bucketMs);
    const list = this.live(version);
    let b: WindowBucket | undefined = list[list.length - 1];
    if (!b || b.start < start) {
      b = { start, requests: 0, errors: 0, ms: [], confidence: new Array<number>(CONFIDENCE_BINS).fill(0), compared: 0, agreed: 0 };
      list.push(b);
    }
    return b;
  }

  private live(version: string): WindowBucket[] {
    let list = this.byVersion.get(version);
    if (!list) {
      list = [];
      this.byVersion.set(version, list);
    }
    const oldest = this.now() - this.windowMs;
    let drop = 0;
    while (drop < list.length && list[drop].start + this.bucketMs <= oldest) drop++;
    if (drop) list.splice(0, drop);
    return list;
  }
}

function isBucket(b: unknown): b is WindowBucket {
  const x = b as WindowBucket;
  return !!x && [x.start, x.requests, x.errors, x.compared, x.agreed].every(Number.isFinite) && Array.isArray(x.ms) && Array.isArray(x.confidence) && x.confidence.length === CONFIDENCE_BINS;
}

/** Successes and trials of the A/B metric per version, since the experiment started. */
export class AbCounts {
  private readonly counts = new Map<string, { successes: number; trials: number }>();

  record(version: string, success: boolean): void {
    const c = this.counts.get(version) ?? { successes: 0, trials: 0 };
    c.trials++;
    if (success) c.successes++;
    this.counts.set(version, c);
  }

  get(version: string): { successes: number; trials: number } {
    return this.counts.get(version) ?? { successes: 0, trials: 0 };
  }

  reset(): void {
    this.counts.clear();
  }
}
