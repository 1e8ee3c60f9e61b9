/**
 * Prometheus metrics of live rollouts, on the service's registry (`s.metrics.registry`). Labels
 * are low-cardinality: the model name, the version (a handful per model) and fixed outcome or
 * reason codes; never user or session ids.
 *
 *   switchyard_rollout_requests_total{model, version, outcome="ok"|"error"}
 *   switchyard_rollout_latency_seconds{model, version}          served latency of the model's stage
 *   switchyard_rollout_canary_percent{model}                    the canary share in force
 *   switchyard_rollout_decision{model}                          0 wait, 1 continue, 2 rollback, -1 no canary
 *   switchyard_rollout_rollbacks_total{model, reason}           automatic rollbacks by guardrail code
 *   switchyard_rollout_agreement_ratio{model, version}          canary agreement with the control (window; -1 none)
 *   switchyard_rollout_candidate_ready{model, version}          1 ready, 0 loading, -1 refused
 *   switchyard_shadow_runs_total{model, version, outcome}       agree|disagree|error|dropped (classifier, reranker: the same top 5), ok|error|dropped (LLM)
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export interface RolloutGauges {
  models(): { name: string; canaryPercent: number | null; decision: 'wait' | 'continue' | 'rollback' | null; agreement: { version: string; rate: number | null }[]; candidates: { version: string; state: 'loading' | 'ready' | 'refused' }[] }[];
}

export function createRolloutMetrics(registry: Registry, gauges: RolloutGauges) {
  const requests = new Counter({ name: 'switchyard_rollout_requests_total', help: 'Requests served per model version under rollout rules', labelNames: ['model', 'version', 'outcome'], registers: [registry] });
  const latency = new Histogram({
    name: 'switchyard_rollout_latency_seconds',
    help: 'Served latency of the model stage per model version (classify, rerank; LLM generation for an llm-config)',
    labelNames: ['model', 'version'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const rollbacks = new Counter({ name: 'switchyard_rollout_rollbacks_total', help: 'Automatic canary rollbacks by guardrail', labelNames: ['model', 'reason'], registers: [registry] });
  const shadowRuns = new Counter({ name: 'switchyard_shadow_runs_total', help: 'Shadow runs by outcome', labelNames: ['model', 'version', 'outcome'], registers: [registry] });
  const DECISION = { wait: 0, continue: 1, rollback: 2 } as const;
  new Gauge({
    name: 'switchyard_rollout_canary_percent',
    help: 'Canary percentage in force (-1: no canary rule)',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      for (const m of gauges.models()) this.set({ model: m.name }, m.canaryPercent ?? -1);
    },
  });
  new Gauge({
    name: 'switchyard_rollout_decision',
    help: 'Last canary guardrail decision: 0 wait, 1 continue, 2 rollback, -1 none',
    labelNames: ['model'],
    registers: [registry],
    collect() {
      for (const m of gauges.models()) this.set({ model: m.name }, m.decision ? DECISION[m.decision] : -1);
    },
  });
  new Gauge({
    name: 'switchyard_rollout_agreement_ratio',
    help: 'Share of sampled canary requests on which the control agreed (window; -1 without data)',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of gauges.models()) for (const a of m.agreement) this.set({ model: m.name, version: a.version }, a.rate ?? -1);
    },
  });
  new Gauge({
    name: 'switchyard_rollout_candidate_ready',
    help: 'Rollout candidate versions: 1 ready, 0 loading, -1 refused (integrity or load failure)',
    labelNames: ['model', 'version'],
    registers: [registry],
    collect() {
      this.reset();
      for (const m of gauges.models()) for (const c of m.candidates) this.set({ model: m.name, version: c.version }, c.state === 'ready' ? 1 : c.state === 'loading' ? 0 : -1);
    },
  });
  return {
    served(model: string, version: string, ms: number, error: boolean) {
      requests.inc({ model, version, outcome: error ? 'error' : 'ok' });
      latency.observe({ model, version }, ms / 1000);
    },
    rolledBack(model: string, reasons: string[]) {
      for (const reason of reasons) rollbacks.inc({ model, reason });
    },
    shadow(model: string, version: string, outcome: 'agree' | 'disagree' | 'error' | 'dropped' | 'ok') {
      shadowRuns.inc({ model, version, outcome });
    },
  };
}

export type RolloutMetrics = ReturnType<typeof createRolloutMetrics>;
