/**
 * Edge metrics. Each isolate counts what it served (paths, intents' route classes, fallbacks,
 * latency histogram, model versions) and exposes it on `GET /metrics` in the Prometheus text
 * format; with many isolates, scrape-and-sum is approximate, so when the `METRICS` Workers
 * Analytics Engine binding is configured every answer is also written there as one data point
 * (the fleet-wide source of truth). prom-client needs Node, so this small exposition is ours.
 */
const BUCKETS_MS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000];

export interface AnswerObservation {
  path: string;
  fallbacks: string[];
  totalMs: number;
  modelVersion: string;
  cacheHit: boolean;
}

interface AnalyticsEngine {
  writeDataPoint(p: { blobs?: string[]; doubles?: number[]; indexes?: string[] }): void;
}

class EdgeMetrics {
  private readonly answers = new Map<string, number>();
  private readonly fallbacks = new Map<string, number>();
  private readonly latency = new Map<string, { buckets: number[]; sum: number; count: number }>();
  private readonly versions = new Set<string>();

  observe(o: AnswerObservation, analytics?: AnalyticsEngine): void {
    this.answers.set(o.path, (this.answers.get(o.path) ?? 0) + 1);
    for (const f of o.fallbacks) this.fallbacks.set(f, (this.fallbacks.get(f) ?? 0) + 1);
    let h = this.latency.get(o.path);
    if (!h) this.latency.set(o.path, (h = { buckets: BUCKETS_MS.map(() => 0), sum: 0, count: 0 }));
    BUCKETS_MS.forEach((b, i) => {
      if (o.totalMs <= b) h!.buckets[i]++;
    });
    h.sum += o.totalMs;
    h.count++;
    this.versions.add(o.modelVersion);
    try {
      analytics?.writeDataPoint({ indexes: [o.path], blobs: [o.path, o.modelVersion, o.fallbacks.join(',')], doubles: [o.totalMs, o.cacheHit ? 1 : 0] });
    } catch {
      // metrics never fail a request
    }
  }

  render(): string {
    const out: string[] = [];
    out.push('# HELP switchyard_edge_answers_total Chat answers by path (template, cache, llm, fallback).', '# TYPE switchyard_edge_answers_total counter');
    for (const [path, n] of this.answers) out.push(`switchyard_edge_answers_total{path="${path}"} ${n}`);
    const total = [...this.answers.values()].reduce((a, b) => a + b, 0);
    const bypass = (this.answers.get('template') ?? 0) + (this.answers.get('cache') ?? 0);
    out.push('# HELP switchyard_edge_llm_bypass_ratio Share of answers given without the region (template or cache).', '# TYPE switchyard_edge_llm_bypass_ratio gauge');
    out.push(`switchyard_edge_llm_bypass_ratio ${total ? bypass / total : 0}`);
    out.push('# HELP switchyard_edge_fallbacks_total Degradations that fired, by kind.', '# TYPE switchyard_edge_fallbacks_total counter');
    for (const [kind, n] of this.fallbacks) out.push(`switchyard_edge_fallbacks_total{kind="${kind}"} ${n}`);
    out.push('# HELP switchyard_edge_answer_duration_ms Server-side time per answer (workerd clock: 1 ms resolution).', '# TYPE switchyard_edge_answer_duration_ms histogram');
    for (const [path, h] of this.latency) {
      BUCKETS_MS.forEach((b, i) => out.push(`switchyard_edge_answer_duration_ms_bucket{path="${path}",le="${b}"} ${h.buckets[i]}`));
      out.push(`switchyard_edge_answer_duration_ms_bucket{path="${path}",le="+Inf"} ${h.count}`);
      out.push(`switchyard_edge_answer_duration_ms_sum{path="${path}"} ${h.sum}`, `switchyard_edge_answer_duration_ms_count{path="${path}"} ${h.count}`);
    }
    out.push('# HELP switchyard_edge_model_info Classifier versions this isolate has served with.', '# TYPE switchyard_edge_model_info gauge');
    for (const v of this.versions) out.push(`switchyard_edge_model_info{version="${v.replace(/["\\\n]/g, '_')}"} 1`);
    return out.join('\n') + '\n';
  }
}

export const edgeMetrics = new EdgeMetrics();
