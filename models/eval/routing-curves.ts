/**
 * Routing thresholds per intent: among messages the classifier gives intent X (not out of scope),
 * precision (the label is X) versus coverage (share of them routed with no LLM) as the confidence
 * threshold rises, and the proposed threshold — the lowest with ≥ 99% precision at the strongest
 * Wilson rule the data can show (ROUTE_RULES), as the trainer picks the global one.
 */
import { calibrateThreshold, type Prediction } from '../../shared/eval/metrics.ts';
import { ROUTE_MIN_PRECISION, ROUTE_RULES } from '../pipeline/intent-model.ts';

export interface Curve {
  t: number[];
  precision: number[];
  coverage: number[];
}

export interface IntentProposal {
  intent: string;
  n: number;
  threshold: number;
  rule: string;
  precision: number;
  coverage: number;
  curve: Curve;
}

export function routingProposals(preds: readonly Prediction[], minPrecision = ROUTE_MIN_PRECISION): IntentProposal[] {
  const intents = [...new Set(preds.map((p) => p.label))].filter((l) => l !== 'oos').sort();
  return intents.map((intent) => {
    const mine = preds.filter((p) => p.label === intent);
    let chosen = { threshold: 1, rule: 'none', precision: NaN, coverage: 0 };
    for (const { rule, z } of ROUTE_RULES) {
      const c = calibrateThreshold(mine, { minPrecision, z });
      if (c.feasible) {
        chosen = { threshold: c.threshold, rule, precision: c.precision, coverage: c.coverage };
        break;
      }
    }
    return { intent, n: mine.length, ...chosen, curve: curveOf(mine.map((p) => ({ score: p.confidence, ok: p.label === p.gold }))) };
  });
}

/** Precision and coverage of the items at or above each threshold (0.5 … 1 for confidences, 0 … 1 for cosines). */
export function curveOf(items: readonly { score: number; ok: boolean }[], from = 0.5, steps = 50): Curve {
  const c: Curve = { t: [], precision: [], coverage: [] };
  for (let i = 0; i <= steps; i++) {
    const t = from + ((1 - from) * i) / steps;
    const sel = items.filter((x) => x.score >= t);
    c.t.push(Math.round(t * 1e4) / 1e4);
    c.precision.push(sel.length ? sel.filter((x) => x.ok).length / sel.length : NaN);
    c.coverage.push(items.length ? sel.length / items.length : 0);
  }
  return c;
}
