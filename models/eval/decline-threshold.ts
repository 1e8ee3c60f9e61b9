/**
 * The decline threshold: at or above it, a message whose top label is `oos` is trusted to be out
 * of scope and declined from its template at the edge or on the device, with no LLM. Chosen on
 * validation by the same precision rule as the routing threshold; a decline is right when the
 * message really is out of scope (declining a real customer question is the error that counts).
 */
import { OOS } from '../../shared/models/intent-classifier.ts';
import { calibrateThreshold, type CalibratedThreshold } from '../../shared/eval/metrics.ts';

export interface DeclineRow {
  gold: string;
  topLabel: string;
  confidence: number;
}

export function calibrateDecline(rows: readonly DeclineRow[], opts: { minPrecision?: number; z?: number } = {}): CalibratedThreshold {
  // As bypass predictions: every `oos` top label is a decline, right when the gold label is `oos`.
  const declines = rows.filter((r) => r.topLabel === OOS).map((r) => ({ gold: r.gold === OOS ? 'decline' : 'kept', label: 'decline', confidence: r.confidence }));
  const t = calibrateThreshold(declines, opts);
  return { ...t, coverage: rows.length ? t.count / rows.length : 0 };
}

/** Precision and coverage of declines at `threshold` (for test-set reports). */
export function declineStats(rows: readonly DeclineRow[], threshold: number): { threshold: number; precision: number; coverage: number; count: number } {
  const declined = rows.filter((r) => r.topLabel === OOS && r.confidence >= threshold);
  const right = declined.filter((r) => r.gold === OOS).length;
  return { threshold, precision: declined.length ? right / declined.length : 1, coverage: rows.length ? declined.length / rows.length : 0, count: declined.length };
}
