/**
 * The dashboard's sampler: every `intervalMs` it reads the region's own Prometheus metrics (the
 * counters' and histograms' change since the last sample, the saturation gauges now), its
 * event-loop delay, the drift monitor and, when configured, the edge's `/metrics` (answers by
 * path), and keeps the sample in a bounded ring buffer and in the store (one row per instance and
 * time, older than `retentionMs` deleted), so the series survives a restart. A failed store write
 * or edge read costs that part of one sample, never the service.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { LATENCY_BUCKETS_S, type Metrics } from '../metrics.ts';
import type { OpsSampleStore } from '../store/types.ts';
import type { DriftReport } from './drift.ts';
import { isOpsSample, RingBuffer, type OpsSample } from './timeseries.ts';

/** Routes that are not traffic: probes, scrapes and the dashboard's own calls. */
const NOT_TRAFFIC = /^\/(metrics|healthz|readyz|dashboard)(\/|$)|^\/v1\/ops\/timeseries/;
export const LATENCY_BOUNDS_MS = LATENCY_BUCKETS_S.map((s) => Math.round(s * 1e6) / 1e3);
const EDGE_TIMEOUT_MS = 2000;
/** Most samples one range read takes from the store (about 11 days at 10 s). */
const MAX_STORE_SAMPLES = 100_000;

export interface SamplerOptions {
  /** Which instance this is (its rows in a shared database). */
  instance: string;
  intervalMs: number;
  ringSize: number;
  retentionMs: number;
  /** The edge's Prometheus endpoint, for its answers by path. */
  edgeMetricsUrl?: string;
  drift: () => DriftReport;
  log?: (m: string) => void;
}

/** Running totals of the counters the samples are differences of. */
type Totals = Pick<OpsSample, 't' | 'requests' | 'errors' | 'clientErrors' | 'latency' | 'generateLatency' | 'modelErrors' | 'paths' | 'tokensIn' | 'tokensOut' | 'costUsd' | 'sessions'>;

const diff = (a: Record<string, number>, b: Record<string, number> | null | undefined, reset = false) =>
  Object.fromEntries(Object.entries(a).map(([k, v]) => [k, reset && v < (b?.[k] ?? 0) ? v : v - (b?.[k] ?? 0)]));

export class TimeseriesSampler {
  readonly ring: RingBuffer<OpsSample>;
  private prev: Totals | null = null;
  private prevEdge: Record<string, number> | null = null;
  private readonly loop: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private timer: ReturnType<typeof setInterval> | null = null;
  private ticking: Promise<OpsSample | null> | null = null;
  /** True while the ring holds every stored sample of this instance within retention. */
  private complete = false;
  private storeFailing = false;
  private samplesSincePrune = 0;
  private readonly log: (m: string) => void;

  constructor(
    private readonly metrics: Metrics,
    private readonly store: OpsSampleStore,
    readonly opts: SamplerOptions,
  ) {
    this.ring = new RingBuffer(opts.ringSize);
    this.log = opts.log ?? ((m) => console.error(m));
  }

  /** Loads the stored samples into the ring, prunes old ones and starts the timer. */
  async start(): Promise<void> {
    this.loop.enable();
    this.prev = await this.totals();
    try {
      await this.prune();
      const since = new Date(Date.now() - this.opts.retentionMs);
      const rows = await this.store.listOpsSamples(this.opts.instance, { since, limit: Math.min(this.opts.ringSize, 10_000) });
      for (const r of rows) if (isOpsSample(r.data)) this.ring.push(r.data);
      this.complete = rows.length < Math.min(this.opts.ringSize, 10_000);
    } catch (e) {
      this.log(`dashboard: could not read stored samples: ${(e as Error).message}`);
    }
    this.timer = setInterval(() => void this.sample(), this.opts.intervalMs);
    this.timer.unref();
  }

  /** Takes one sample now (also what the timer runs); null when one is being taken already and failed. */
  sample(): Promise<OpsSample | null> {
    this.ticking ??= this.take()
      .catch((e) => {
        this.log(`dashboard: sample failed: ${(e as Error).message}`);
        return null;
      })
      .finally(() => (this.ticking = null));
    return this.ticking;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.ticking;
    this.loop.disable();
  }

  /** Samples taken at or after `since` (epoch ms), oldest first: from the ring when it covers them, else the store. */
  async range(since: number): Promise<OpsSample[]> {
    const first = this.ring.first();
    if ((first && first.t <= since) || (this.complete && this.ring.dropped === 0)) return this.ring.toArray().filter((s) => s.t >= since);
    const out: OpsSample[] = [];
    let from = new Date(since);
    while (out.length < MAX_STORE_SAMPLES) {
      const rows = await this.store.listOpsSamples(this.opts.instance, { since: from, limit: 10_000, take: 'oldest' });
      for (const r of rows) if (isOpsSample(r.data)) out.push(r.data);
      if (rows.length < 10_000) break;
      from = new Date(rows[rows.length - 1].at.getTime() + 1);
    }
    // Samples whose store write failed are still in the ring.
    const last = out.at(-1)?.t ?? -Infinity;
    return [...out, ...this.ring.toArray().filter((s) => s.t > last && s.t >= since)];
  }

  private async take(): Promise<OpsSample> {
    const now = await this.totals();
    const prev = this.prev ?? now;
    this.prev = now;
    const edgePaths = await this.edgePaths();
    const sat = this.metrics.saturation();
    const drift = this.opts.drift().windows[0];
    const sample: OpsSample = {
      t: now.t,
      intervalMs: Math.max(0, now.t - prev.t),
      requests: now.requests - prev.requests,
      errors: now.errors - prev.errors,
      clientErrors: now.clientErrors - prev.clientErrors,
      latency: now.latency.map((v, i) => v - (prev.latency[i] ?? 0)),
      generateLatency: now.generateLatency.map((v, i) => v - (prev.generateLatency[i] ?? 0)),
      modelErrors: diff(now.modelErrors, prev.modelErrors),
      queues: sat.queues,
      eventLoop: { p99: this.loop.percentile(99) / 1e6, max: this.loop.max / 1e6 },
      llm: sat.llm,
      paths: diff(now.paths, prev.paths),
      edgePaths,
      tokensIn: now.tokensIn - prev.tokensIn,
      tokensOut: now.tokensOut - prev.tokensOut,
      costUsd: Math.max(0, now.costUsd - prev.costUsd),
      sessions: now.sessions - prev.sessions,
      turns: Object.values(now.paths).reduce((a, b) => a + b, 0) - Object.values(prev.paths).reduce((a, b) => a + b, 0),
      drift: drift
        ? { window: drift.window, n: drift.n, intent: drift.intent.psi, confidence: drift.confidence.psi, status: worstStatus(drift.intent.status, drift.confidence.status) }
        : { window: 'none', n: 0, intent: null, confidence: null, status: 'insufficient' },
    };
    this.loop.reset();
    this.ring.push(sample);
    await this.persist(sample);
    return sample;
  }

  private async persist(sample: OpsSample): Promise<void> {
    try {
      await this.store.appendOpsSample({ instance: this.opts.instance, at: new Date(sample.t), data: sample as unknown as Record<string, unknown> });
      if (this.storeFailing) this.log('dashboard: storing samples works again');
      this.storeFailing = false;
      if (++this.samplesSincePrune * this.opts.intervalMs >= 3_600_000) await this.prune();
    } catch (e) {
      // Kept in the ring; logged once until it works again.
      if (!this.storeFailing) this.log(`dashboard: could not store a sample: ${(e as Error).message}`);
      this.storeFailing = true;
    }
  }

  private async prune(): Promise<void> {
    this.samplesSincePrune = 0;
    await this.store.pruneOpsSamples(new Date(Date.now() - this.opts.retentionMs));
  }

  /** The counters and histograms the samples are differences of, now. */
  private async totals(): Promise<Totals> {
    const m = this.metrics;
    const [http, dur, answers, tokens, cost, sessions, modelErrors] = await Promise.all([
      m.httpRequests.get(),
      m.httpDuration.get(),
      m.answers.get(),
      m.tokens.get(),
      m.cost.get(),
      m.sessionsStarted.get(),
      m.modelErrors.get(),
    ]);
    const t: Totals = {
      t: Date.now(),
      requests: 0,
      errors: 0,
      clientErrors: 0,
      latency: new Array(LATENCY_BUCKETS_S.length + 1).fill(0),
      generateLatency: new Array(LATENCY_BUCKETS_S.length + 1).fill(0),
      modelErrors: {},
      paths: {},
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
      sessions: 0,
    };
    for (const v of http.values) {
      if (NOT_TRAFFIC.test(String(v.labels.route))) continue;
      const status = Number(v.labels.status);
      t.requests += v.value;
      if (status >= 500) t.errors += v.value;
      else if (status >= 400) t.clientErrors += v.value;
    }
    for (const v of dur.values) {
      const route = String(v.labels.route);
      if (!(v as { metricName?: string }).metricName?.endsWith('_bucket') || NOT_TRAFFIC.test(route)) continue;
      const le = (v.labels as { le?: string | number }).le;
      const i = le === '+Inf' ? LATENCY_BUCKETS_S.length : LATENCY_BUCKETS_S.indexOf(Number(le));
      if (i < 0) continue;
      t.latency[i] += v.value;
      if (route === '/v1/generate') t.generateLatency[i] += v.value;
    }
    for (const v of answers.values) t.paths[String(v.labels.path)] = (t.paths[String(v.labels.path)] ?? 0) + v.value;
    for (const v of tokens.values) {
      if (v.labels.direction === 'in') t.tokensIn += v.value;
      else t.tokensOut += v.value;
    }
    for (const v of cost.values) t.costUsd += v.value;
    for (const v of sessions.values) t.sessions += v.value;
    for (const v of modelErrors.values) t.modelErrors[String(v.labels.role)] = (t.modelErrors[String(v.labels.role)] ?? 0) + v.value;
    return t;
  }

  /** The edge's answers by path since the last sample (a restarted edge's counters start again from 0). */
  private async edgePaths(): Promise<Record<string, number> | null> {
    if (!this.opts.edgeMetricsUrl) return null;
    let now: Record<string, number>;
    try {
      const res = await fetch(this.opts.edgeMetricsUrl, { signal: AbortSignal.timeout(EDGE_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      now = edgeAnswersByPath(await res.text());
    } catch {
      return null;
    }
    const delta = diff(now, this.prevEdge ?? now, true);
    const first = this.prevEdge === null;
    this.prevEdge = now;
    return first ? Object.fromEntries(Object.keys(now).map((k) => [k, 0])) : delta;
  }
}

const RANK: Record<string, number> = { insufficient: 0, ok: 1, warn: 2, alert: 3 };
const worstStatus = (a: string, b: string) => (RANK[a] >= RANK[b] ? a : b);

/** `switchyard_edge_answers_total{path="…"} n` lines of the edge's Prometheus text, by path. */
export function edgeAnswersByPath(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const m of text.matchAll(/^switchyard_edge_answers_total\{path="([a-z_]+)"\}\s+([0-9.eE+-]+)\s*$/gm)) out[m[1]] = Number(m[2]);
  return out;
}
