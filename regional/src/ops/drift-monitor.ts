/**
 * The process-wide drift monitor of the regional service: the pipeline reports every classifier
 * prediction with observePrediction(); GET /v1/ops/drift and the `switchyard_drift_psi` gauge
 * read it. The baseline is the loaded classifier version's, from the registry when it has one,
 * else computed at startup from the store's validation and test splits (ops/routes.ts).
 */
import { Gauge, type Registry } from 'prom-client';
import { DriftMonitor, type DriftBaseline } from './drift.ts';

export const driftMonitor = new DriftMonitor();

/** Feeds one served classifier prediction into the drift windows (cheap: a few map updates). */
export function observePrediction(intent: string, confidence: number): void {
  driftMonitor.observe(intent, confidence);
}

/** Replaces the baseline, e.g. after a new classifier version starts serving. */
export function setDriftBaseline(baseline: DriftBaseline | null): void {
  driftMonitor.setBaseline(baseline);
}

const registered = new WeakSet<Registry>();

/**
 * Registers `switchyard_drift_psi{signal="intent"|"confidence", window}` and
 * `switchyard_drift_window_predictions{window}` on a Prometheus registry (once per registry),
 * computed from the monitor at scrape time. PSI is -1 while a window has no data or no baseline.
 */
export function registerDriftMetrics(registry: Registry, monitor: DriftMonitor = driftMonitor): void {
  if (registered.has(registry)) return;
  registered.add(registry);
  new Gauge({
    name: 'switchyard_drift_psi',
    help: 'Population stability index of classifier outputs against the baseline (>0.1 warn, >0.2 alert; -1 without data)',
    labelNames: ['signal', 'window'],
    registers: [registry],
    collect() {
      for (const w of monitor.report().windows) {
        this.set({ signal: 'intent', window: w.window }, w.intent.psi ?? -1);
        this.set({ signal: 'confidence', window: w.window }, w.confidence.psi ?? -1);
      }
    },
  });
  new Gauge({
    name: 'switchyard_drift_window_predictions',
    help: 'Classifier predictions in each drift window',
    labelNames: ['window'],
    registers: [registry],
    collect() {
      for (const w of monitor.report().windows) this.set({ window: w.window }, w.n);
    },
  });
}
