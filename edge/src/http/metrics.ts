/**
 * Edge metrics. Each isolate counts what it served and exposes it on `GET /metrics` in the
 * Prometheus text format: answers by path, the LLM-bypass and cache-hit ratios, fallbacks, answer
 * latency, per-model latency and errors (classifier, embedder), LLM tokens and cost of the turns
 * the region answered, the loaded model versions and model reloads. Labels are low-cardinality
 * only (paths, roles, versions, fallback kinds). With many isolates, scrape-and-sum is
 * approximate, so when the `METRICS` Workers Analytics Engine binding is configured every answer
 * is also written there as one data point (the fleet-wide source of truth; schema in README).
 * prom-client needs Node, so this small exposition is ours.
 */
/** Seconds, like every duration metric of both tiers (Prometheus base units). */
const ANSWER_BUCKETS_S = [0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** workerd's clock has 1 ms resolution: a sub-millisecond model call reads 0. */
const MODEL_BUCKETS_S = [0, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];
const TOKEN_BUCKETS = [10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export type EdgeModelRole = 'classifier' | 'embedder';
export type CacheLookupResult = 'hit' | 'miss' | 'stale' | 'error';

export interface AnswerObservation {
  path: string;
  fallbacks: string[];
  totalMs: number;
  modelVersion: string;
  cacheHit: boolean;
  /** The region's token usage and cost estimate, when the region answered. */
  usage?: { inputTokens: number; outputTokens: number; costUsd?: number };
  /** A short hash of the session id (Analytics Engine only, for per-session totals). */
  session?: string;
  embedderVersion?: string;
}

interface AnalyticsEngine {
  writeDataPoint(p: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

type Labels = Record<string, string>;
const escape = (v: string) => v.replace(/["\\\n]/g, '_');
const labelText = (l: Labels) => Object.entries(l).map(([k, v]) => `${k}="${escape(v)}"`).join(',');

/** A counter per label set. */
class Counters {
  private readonly values = new Map<string, { labels: Labels; n: number }>();
  inc(labels: Labels, n = 1): void {
    const k = labelText(labels);
    const e = this.values.get(k);
    if (e) e.n += n;
    else this.values.set(k, { labels, n });
  }
  get(labels: Labels): number {
    return this.values.get(labelText(labels))?.n ?? 0;
  }
  sum(): number {
    let s = 0;
    for (const e of this.values.values()) s += e.n;
    return s;
  }
  render(name: string, help: string, type = 'counter'): string[] {
    const out = [`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`];
    for (const e of this.values.values()) out.push(`${name}${Object.keys(e.labels).length ? `{${labelText(e.labels)}}` : ''} ${e.n}`);
    return out;
  }
}

/** A histogram per label set. */
class Histograms {
  private readonly values = new Map<string, { labels: Labels; buckets: number[]; sum: number; count: number }>();
  constructor(private readonly bounds: number[]) {}
  /** `k`: the labels' text when the caller keeps it (a model call's, inside an answer: no string built per call). */
  observe(labels: Labels, v: number, k = labelText(labels)): void {
    let h = this.values.get(k);
    if (!h) this.values.set(k, (h = { labels, buckets: this.bounds.map(() => 0), sum: 0, count: 0 }));
    for (let i = 0; i < this.bounds.length; i++) if (v <= this.bounds[i]) h.buckets[i]++;
    h.sum += v;
    h.count++;
  }
  render(name: string, help: string): string[] {
    const out = [`# HELP ${name} ${help}`, `# TYPE ${name} histogram`];
    for (const h of this.values.values()) {
      const l = labelText(h.labels);
      const sep = l ? ',' : '';
      this.bounds.forEach((b, i) => out.push(`${name}_bucket{${l}${sep}le="${b}"} ${h.buckets[i]}`));
      out.push(`${name}_bucket{${l}${sep}le="+Inf"} ${h.count}`);
      out.push(`${name}_sum${l ? `{${l}}` : ''} ${h.sum}`, `${name}_count${l ? `{${l}}` : ''} ${h.count}`);
    }
    return out;
  }
}

export class EdgeMetrics {
  private readonly answers = new Counters();
  private readonly fallbacks = new Counters();
  private readonly latency = new Histograms(ANSWER_BUCKETS_S);
  private readonly modelLatency = new Histograms(MODEL_BUCKETS_S);
  private readonly modelErrors = new Counters();
  private readonly cacheLookups = new Counters();
  private readonly tokens = new Counters();
  private readonly cost = new Counters();
  private readonly turnTokens = new Histograms(TOKEN_BUCKETS);
  private readonly reloads = new Counters();
  private readonly checks = new Counters();
  private readonly resolutions = new Counters();
  private readonly sessionErrors = new Counters();
  private readonly loaded = new Map<EdgeModelRole, { version: string; source: string }>();
  private readonly stores = new Map<string, () => number>();

  observe(o: AnswerObservation, analytics?: AnalyticsEngine): void {
    this.answers.inc({ path: o.path });
    for (const f of o.fallbacks) this.fallbacks.inc({ kind: f });
    this.latency.observe({ path: o.path }, o.totalMs / 1000);
    const u = o.usage;
    if (u) {
      this.tokens.inc({ direction: 'in' }, u.inputTokens);
      this.tokens.inc({ direction: 'out' }, u.outputTokens);
      this.cost.inc({}, u.costUsd ?? 0);
      this.turnTokens.observe({ direction: 'in' }, u.inputTokens);
      this.turnTokens.observe({ direction: 'out' }, u.outputTokens);
    }
    try {
      analytics?.writeDataPoint({
        indexes: [o.path],
        blobs: [o.path, o.modelVersion, o.fallbacks.join(','), o.embedderVersion ?? '', o.session ?? ''],
        doubles: [o.totalMs, o.cacheHit ? 1 : 0, u?.inputTokens ?? 0, u?.outputTokens ?? 0, u?.costUsd ?? 0],
      });
    } catch {
      // metrics never fail a request
    }
  }

  /** Wraps a model call: its latency and errors are counted under the role and version. */
  meter<A extends unknown[], R>(role: EdgeModelRole, version: string, fn: (...args: A) => Promise<R>): (...args: A) => Promise<R> {
    const labels = { role, version };
    const key = labelText(labels);
    return async (...args: A) => {
      const t0 = performance.now();
      try {
        return await fn(...args);
      } catch (e) {
        this.modelErrors.inc(labels);
        throw e;
      } finally {
        this.modelLatency.observe(labels, (performance.now() - t0) / 1000, key);
      }
    };
  }

  cacheLookup(result: CacheLookupResult): void {
    this.cacheLookups.inc({ result });
  }

  /** The model serving `role` now, and where it came from (bundled with the Worker, or the region). */
  modelLoaded(role: EdgeModelRole, version: string, source: string): void {
    this.loaded.set(role, { version, source });
  }

  /** A version the refresher loaded or refused. */
  reload(role: EdgeModelRole, result: 'loaded' | 'refused'): void {
    this.reloads.inc({ role, result });
  }

  /** How a message was resolved against its session (standalone, resolved, unresolved) and whether it may use the cache. */
  resolution(kind: string, confident: boolean): void {
    this.resolutions.inc({ kind, confident: String(confident) });
  }

  /** A session-store call that failed or timed out, by operation (open, record, finish). */
  sessionError(op: string): void {
    this.sessionErrors.inc({ op });
  }

  /** A look at the region's active versions: unchanged, changed (a new version was tried) or failed. */
  check(result: 'unchanged' | 'changed' | 'failed'): void {
    this.checks.inc({ result });
  }

  /**
   * An in-isolate store whose entry count /metrics reports (switchyard_edge_isolate_entries), so
   * a soak can tell a store that keeps growing from the garbage collector's swing.
   */
  trackEntries(store: string, count: () => number): void {
    this.stores.set(store, count);
  }

  render(): string {
    const total = this.answers.sum();
    const bypass = this.answers.get({ path: 'template' }) + this.answers.get({ path: 'cache' });
    const hits = this.cacheLookups.get({ result: 'hit' });
    const lookups = hits + this.cacheLookups.get({ result: 'miss' });
    const info = new Counters();
    for (const [role, m] of this.loaded) info.inc({ role, version: m.version, source: m.source });
    const entries = new Counters();
    for (const [store, count] of this.stores) entries.inc({ store }, count());
    const out = [
      ...this.answers.render('switchyard_edge_answers_total', 'Chat answers by path (template, cache, llm, fallback).'),
      '# HELP switchyard_edge_llm_bypass_ratio Share of answers given without the region (template or cache).',
      '# TYPE switchyard_edge_llm_bypass_ratio gauge',
      `switchyard_edge_llm_bypass_ratio ${total ? bypass / total : 0}`,
      ...this.cacheLookups.render('switchyard_edge_cache_lookups_total', 'Semantic-cache lookups by result (hit, miss; stale: served while the region was down; error).'),
      '# HELP switchyard_edge_cache_hit_ratio Hits over hits and misses of the semantic cache.',
      '# TYPE switchyard_edge_cache_hit_ratio gauge',
      `switchyard_edge_cache_hit_ratio ${lookups ? hits / lookups : 0}`,
      ...this.fallbacks.render('switchyard_edge_fallbacks_total', 'Degradations that fired, by kind.'),
      ...this.latency.render('switchyard_edge_answer_duration_seconds', 'Server-side time per answer (workerd clock: 1 ms resolution).'),
      ...this.modelLatency.render('switchyard_edge_model_latency_seconds', 'Time per model call by role and version (workerd clock: 1 ms resolution).'),
      ...this.modelErrors.render('switchyard_edge_model_errors_total', 'Model calls that threw, by role and version.'),
      ...this.tokens.render('switchyard_edge_llm_tokens_total', 'LLM tokens of the turns the region answered, by direction.'),
      ...this.cost.render('switchyard_edge_llm_cost_usd_total', "Estimated LLM cost (USD) of the turns the region answered (the region's estimate)."),
      ...this.turnTokens.render('switchyard_edge_turn_tokens', 'LLM tokens per turn the region answered, by direction.'),
      ...info.render('switchyard_edge_model_info', 'The models this isolate serves now: role, version and source (bundled or region).', 'gauge'),
      ...this.reloads.render('switchyard_edge_model_reloads_total', 'Model versions from the region this isolate loaded or refused, by role.'),
      ...this.checks.render('switchyard_edge_model_checks_total', "Looks at the region's active model versions, by result."),
      ...this.resolutions.render('switchyard_edge_followups_total', 'Messages by resolution against their session (standalone, resolved, unresolved) and whether the resolution was confident enough for the cache.'),
      ...entries.render('switchyard_edge_isolate_entries', "Entries held in this isolate's memory, by store (bounded stores; a soak watches them).", 'gauge'),
      ...this.sessionErrors.render('switchyard_edge_session_errors_total', 'Session-store calls that failed or timed out, by operation; a failed open answers single-turn (fallback session_unavailable).'),
    ];
    return out.join('\n') + '\n';
  }
}

export const edgeMetrics = new EdgeMetrics();
