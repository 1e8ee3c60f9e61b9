/** Test-split evaluation of a trained intent model: quality, calibration, routing safety, latency. */
import { declineStats } from './decline-threshold.ts';
import type { IntentClassifier } from '../../shared/models/intent-classifier.ts';
import { floatModelLogits } from '../pipeline/classifier.ts';
import { predictAll, toPrediction, type TrainedIntentModel } from '../pipeline/intent-model.ts';
import { OOS, type LabeledExample } from '../pipeline/types.ts';
import { bypass, ece, inScopeAccuracy, macroF1, oosRecall, oosTradeoff, percentiles, type OosTradeoffPoint, type Prediction } from '../../shared/eval/metrics.ts';

export interface IntentEvalResult {
  inScopeAccuracy: number;
  oosRecall: number | null;
  macroF1: number;
  ece: number;
  bypass: { threshold: number; precision: number; coverage: number };
  /**
   * The out-of-scope cut chosen on validation, and test in-scope accuracy / oos recall at that cut
   * and at cuts 0.05 .. 0.95 (null without oos in test): how the trade-off would move with it.
   */
  oosCut: number;
  oosTradeoff: OosTradeoffPoint[] | null;
  /** Out-of-scope declines with no LLM (top label `oos` at or above the decline threshold); null without one. */
  decline: { threshold: number; precision: number; coverage: number } | null;
  modelBytes: number;
  p50Ms: number;
  p99Ms: number;
  trainSeconds: number;
  /** The float (pre-quantization) model's in-scope accuracy under the same thresholds. */
  floatInScopeAccuracy: number;
  nTrain: number;
  nTest: number;
}

/** Warm single-query latency (tokenize + run + decide), one query at a time. */
export async function singleQueryLatency(clf: IntentClassifier, texts: string[], runs = 2000): Promise<number[]> {
  for (let i = 0; i < 200; i++) await clf.classify([texts[i % texts.length]]);
  const ms: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = texts[i % texts.length];
    const t0 = performance.now();
    await clf.classify([t]);
    ms.push(performance.now() - t0);
  }
  return ms;
}

export async function evaluateIntent(
  m: TrainedIntentModel,
  test: LabeledExample[],
  latencyRuns = 2000,
): Promise<{ result: IntentEvalResult; predictions: Prediction[]; latencyMs: number[] }> {
  const preds = await predictAll(m.classifier, test);
  const predictions = test.map((e, i) => toPrediction(e.label, preds[i]));
  const routed = bypass(predictions, m.calibration.routeThreshold);
  const dt = m.calibration.declineThreshold;
  const topRows = test.map((e, i) => ({ gold: e.label, topLabel: preds[i].topLabel, confidence: preds[i].confidence }));
  const declined = dt === undefined ? null : declineStats(topRows, dt);
  const floatPreds = test.map((e) => {
    const l = floatModelLogits(m.float, m.classifier.tokenizer.encode(e.text));
    return toPrediction(e.label, m.classifier.decide(l));
  });
  const cut = m.calibration.oosThreshold;
  const grid = Array.from({ length: 19 }, (_, i) => Math.round((i + 1) * 5) / 100);
  const tradeoff = oosTradeoff(topRows, [...new Set([...grid, cut])].sort((a, b) => a - b));
  const latencyMs = await singleQueryLatency(m.classifier, test.map((e) => e.text), latencyRuns);
  const lat = percentiles(latencyMs);
  const hasOos = test.some((e) => e.label === OOS);
  return {
    predictions,
    latencyMs,
    result: {
      inScopeAccuracy: inScopeAccuracy(predictions),
      oosRecall: hasOos ? oosRecall(predictions) : null,
      macroF1: macroF1(predictions),
      ece: ece(predictions),
      bypass: { threshold: m.calibration.routeThreshold, precision: routed.precision, coverage: routed.coverage },
      oosCut: cut,
      oosTradeoff: tradeoff,
      decline: declined ? { threshold: declined.threshold, precision: declined.precision, coverage: declined.coverage } : null,
      modelBytes: m.onnx.byteLength,
      p50Ms: lat.p50,
      p99Ms: lat.p99,
      trainSeconds: m.trainSeconds,
      floatInScopeAccuracy: inScopeAccuracy(floatPreds),
      nTrain: m.dataset.train.length,
      nTest: test.length,
    },
  };
}
