/**
 * The ops dashboard's time series, pure (no I/O): what one sample holds (counts over its
 * interval, gauges at its end), a bounded ring buffer of samples, and the points the dashboard
 * draws — consecutive samples merged when there are more than it asked for (counts and latency
 * buckets add up, so rates and quantiles stay exact; gauges keep their peak; drift its latest).
 */

/** Upper bounds (ms) of the latency buckets a sample counts requests in (the last is +Inf). */
export type LatencyCounts = number[];

export interface OpsSample {
  /** End of the interval (epoch ms). */
  t: number;
  intervalMs: number;
  /** API requests (probes, /metrics and the dashboard itself excluded), 5xx and 4xx among them. */
  requests: number;
  errors: number;
  clientErrors: number;
  /** Requests per latency bucket, cumulative like Prometheus `le` buckets; all API routes, and /v1/generate alone. */
  latency: LatencyCounts;
  generateLatency: LatencyCounts;
  /** Failed model calls by role (errors and timeouts). */
  modelErrors: Record<string, number>;
  /** Items waiting per queue at the end of the interval. */
  queues: Record<string, number>;
  /** Event-loop delay over the interval (ms). */
  eventLoop: { p99: number; max: number };
  llm: { active: number; concurrency: number };
  /** Region answers by path (llm, cache, fallback) and the edge's (template, cache, llm, fallback; null: not read). */
  paths: Record<string, number>;
  edgePaths: Record<string, number> | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  /** Sessions started and turns answered. */
  sessions: number;
  turns: number;
  /** PSI of the shortest drift window at the end of the interval (null: no baseline or no data); status: the worse of both signals. */
  drift: { window: string; n: number; intent: number | null; confidence: number | null; status: string };
}

/** What the dashboard draws for one point (one sample, or several merged). */
export interface OpsPoint {
  t: number;
  intervalS: number;
  rps: number;
  errorRps: number;
  clientErrorRps: number;
  errorRatio: number;
  p50Ms: number | null;
  p99Ms: number | null;
  generateP50Ms: number | null;
  generateP99Ms: number | null;
  modelErrors: Record<string, number>;
  queues: Record<string, number>;
  queued: number;
  eventLoopP99Ms: number;
  eventLoopMaxMs: number;
  llmActive: number;
  llmConcurrency: number;
  /** Answers per second by path. */
  paths: Record<string, number>;
  edgePaths: Record<string, number> | null;
  /** Share of answers given without the LLM (region: cache + fallback; edge: template + cache). */
  bypassRatio: number | null;
  edgeBypassRatio: number | null;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
  sessions: number;
  turns: number;
  /** Cost over the sessions started in the interval (null when none started). */
  costPerSessionUsd: number | null;
  drift: OpsSample['drift'];
}

export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private start = 0;
  private length = 0;
  /** How many items were pushed out to make room. */
  dropped = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError('RingBuffer: capacity must be a positive integer');
    this.items = new Array(capacity);
  }

  get size(): number {
    return this.length;
  }

  push(x: T): void {
    if (this.length < this.capacity) {
      this.items[(this.start + this.length++) % this.capacity] = x;
    } else {
      this.items[this.start] = x;
      this.start = (this.start + 1) % this.capacity;
      this.dropped++;
    }
  }

  first(): T | undefined {
    return this.length ? this.items[this.start] : undefined;
  }

  toArray(): T[] {
    const out: T[] = [];
    for (let i = 0; i < this.length; i++) out.push(this.items[(this.start + i) % this.capacity] as T);
    return out;
  }
}

/**
 * The q-quantile (0..1) of cumulative bucket counts with upper bounds `bounds` (+Inf last), by
 * linear interpolation inside the bucket, as Prometheus' histogram_quantile does. A quantile in
 * the +Inf bucket is the largest finite bound. Null when there are no observations.
 */
export function histogramQuantile(q: number, bounds: readonly number[], cumulative: readonly number[]): number | null {
  const total = cumulative[cumulative.length - 1] ?? 0;
  if (!(total > 0)) return null;
  const rank = q * total;
  for (let i = 0; i < cumulative.length; i++) {
    if (cumulative[i] >= rank) {
      if (i >= bounds.length) return bounds[bounds.length - 1];
      const lo = i === 0 ? 0 : bounds[i - 1];
      const below = i === 0 ? 0 : cumulative[i - 1];
      const inBucket = cumulative[i] - below;
      return inBucket > 0 ? lo + ((bounds[i] - lo) * (rank - below)) / inBucket : bounds[i];
    }
  }
  return bounds[bounds.length - 1];
}

const addRecords = (a: Record<string, number>, b: Record<string, number>, f: (x: number, y: number) => number) => {
  const out: Record<string, number> = { ...a };
  for (const [k, v] of Object.entries(b)) out[k] = k in out ? f(out[k], v) : v;
  return out;
};
const plus = (x: number, y: number) => x + y;

/** One sample standing for several consecutive ones. */
export function mergeSamples(samples: readonly OpsSample[]): OpsSample {
  return samples.reduce((a, b) => ({
    t: b.t,
    intervalMs: a.intervalMs + b.intervalMs,
    requests: a.requests + b.requests,
    errors: a.errors + b.errors,
    clientErrors: a.clientErrors + b.clientErrors,
    latency: a.latency.map((x, i) => x + (b.latency[i] ?? 0)),
    generateLatency: a.generateLatency.map((x, i) => x + (b.generateLatency[i] ?? 0)),
    modelErrors: addRecords(a.modelErrors, b.modelErrors, plus),
    queues: addRecords(a.queues, b.queues, Math.max),
    eventLoop: { p99: Math.max(a.eventLoop.p99, b.eventLoop.p99), max: Math.max(a.eventLoop.max, b.eventLoop.max) },
    llm: { active: Math.max(a.llm.active, b.llm.active), concurrency: Math.max(a.llm.concurrency, b.llm.concurrency) },
    paths: addRecords(a.paths, b.paths, plus),
    edgePaths: a.edgePaths || b.edgePaths ? addRecords(a.edgePaths ?? {}, b.edgePaths ?? {}, plus) : null,
    tokensIn: a.tokensIn + b.tokensIn,
    tokensOut: a.tokensOut + b.tokensOut,
    costUsd: a.costUsd + b.costUsd,
    sessions: a.sessions + b.sessions,
    turns: a.turns + b.turns,
    drift: b.drift,
  }));
}

const sumOf = (r: Record<string, number>) => Object.values(r).reduce(plus, 0);
const ratio = (part: number, whole: number) => (whole > 0 ? part / whole : null);

/** The point the dashboard draws for a (possibly merged) sample; `boundsMs` are the latency buckets' upper bounds. */
export function toPoint(s: OpsSample, boundsMs: readonly number[]): OpsPoint {
  const sec = Math.max(s.intervalMs, 1) / 1000;
  const perSec = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v / sec]));
  const answers = sumOf(s.paths);
  const edgeAnswers = s.edgePaths ? sumOf(s.edgePaths) : 0;
  return {
    t: s.t,
    intervalS: sec,
    rps: s.requests / sec,
    errorRps: s.errors / sec,
    clientErrorRps: s.clientErrors / sec,
    errorRatio: s.requests ? s.errors / s.requests : 0,
    p50Ms: histogramQuantile(0.5, boundsMs, s.latency),
    p99Ms: histogramQuantile(0.99, boundsMs, s.latency),
    generateP50Ms: histogramQuantile(0.5, boundsMs, s.generateLatency),
    generateP99Ms: histogramQuantile(0.99, boundsMs, s.generateLatency),
    modelErrors: s.modelErrors,
    queues: s.queues,
    queued: sumOf(s.queues),
    eventLoopP99Ms: s.eventLoop.p99,
    eventLoopMaxMs: s.eventLoop.max,
    llmActive: s.llm.active,
    llmConcurrency: s.llm.concurrency,
    paths: perSec(s.paths),
    edgePaths: s.edgePaths ? perSec(s.edgePaths) : null,
    bypassRatio: ratio(answers - (s.paths.llm ?? 0), answers),
    edgeBypassRatio: s.edgePaths ? ratio((s.edgePaths.template ?? 0) + (s.edgePaths.cache ?? 0), edgeAnswers) : null,
    tokensIn: s.tokensIn,
    tokensOut: s.tokensOut,
    costUsd: s.costUsd,
    sessions: s.sessions,
    turns: s.turns,
    costPerSessionUsd: s.sessions ? s.costUsd / s.sessions : null,
    drift: s.drift,
  };
}

/** At most `maxPoints` points for the samples (oldest first), merging runs of consecutive samples. */
export function toPoints(samples: readonly OpsSample[], boundsMs: readonly number[], maxPoints: number): OpsPoint[] {
  const per = Math.max(1, Math.ceil(samples.length / Math.max(1, maxPoints)));
  const out: OpsPoint[] = [];
  for (let i = 0; i < samples.length; i += per) out.push(toPoint(per === 1 ? samples[i] : mergeSamples(samples.slice(i, i + per)), boundsMs));
  return out;
}

/** Checks a sample read back from the store (JSON written by an older or newer version may differ). */
export function isOpsSample(x: unknown): x is OpsSample {
  const s = x as OpsSample;
  return (
    !!s &&
    Number.isFinite(s.t) &&
    Number.isFinite(s.intervalMs) &&
    Number.isFinite(s.requests) &&
    Array.isArray(s.latency) &&
    Array.isArray(s.generateLatency) &&
    !!s.paths &&
    typeof s.paths === 'object' &&
    !!s.queues &&
    !!s.eventLoop &&
    !!s.llm &&
    !!s.drift &&
    !!s.modelErrors
  );
}
