/**
 * The semantic cache's decision on labelled pairs (a cached, b asked), under two key designs on
 * the same data: `global` (today: intent + entity signature, one cosine threshold for all) and
 * `frame` (intent + entity signature + aspect + qualifier, a threshold per intent). Per-intent
 * thresholds are chosen like routing's: the lowest cosine whose hit precision clears 99% at the
 * strongest Wilson confidence the calibration pairs can show (ROUTE_RULES), recall maximised,
 * and never below the chance similarity of unrelated store questions (chanceSimilarity).
 * Pure functions over scored pairs; the CLIs embed and print.
 */
import { frameTag, qualifiersCompatible, type KeyFrame } from '../../shared/cache/key-frame.ts';
import { calibrateThreshold, wilsonLower, type Prediction } from '../../shared/eval/metrics.ts';
import { ROUTE_MIN_PRECISION, ROUTE_RULES } from '../pipeline/intent-model.ts';
import { mulberry32 } from '../pipeline/datasets.ts';
import { cosine } from '../../shared/models/sentence-embedder.ts';

export interface ScoredCachePair {
  a: string;
  intent: string;
  label: 0 | 1;
  kind: string;
  split: string;
  cosine: number;
  /** Same entity signature (today's key). */
  sameSig: boolean;
  /** Compatible key frames (this design's key). */
  sameFrame: boolean;
}

export function framesCompatible(a: KeyFrame, b: KeyFrame): boolean {
  return a.intent === b.intent && frameTag(a) === frameTag(b) && qualifiersCompatible(b.qualifier, a.qualifier);
}

export interface HitStats {
  hits: number;
  correct: number;
  positives: number;
  precision: number;
  recall: number;
  /** One-sided 95% Wilson lower bound of the hit precision. */
  precisionLower95: number;
  /** False hits by pair kind (which hard negatives got through). */
  falseHits: Record<string, number>;
}

export function hitStats(pairs: readonly ScoredCachePair[], hit: (p: ScoredCachePair) => boolean): HitStats {
  let hits = 0;
  let correct = 0;
  let positives = 0;
  const falseHits: Record<string, number> = {};
  for (const p of pairs) {
    if (p.label === 1) positives++;
    if (!hit(p)) continue;
    hits++;
    if (p.label === 1) correct++;
    else falseHits[p.kind] = (falseHits[p.kind] ?? 0) + 1;
  }
  return {
    hits,
    correct,
    positives,
    precision: hits ? correct / hits : 1,
    recall: positives ? correct / positives : NaN,
    precisionLower95: wilsonLower(correct, hits, 1.645),
    falseHits,
  };
}

export const globalHit = (t: number) => (p: ScoredCachePair) => p.sameSig && p.cosine >= t;
export const frameHit = (thresholds: Record<string, number>, fallback: number) => (p: ScoredCachePair) =>
  p.sameFrame && p.cosine >= (thresholds[p.intent] ?? fallback);

export interface IntentThreshold {
  threshold: number;
  rule: string;
  feasible: boolean;
  /** On the calibration pairs at that threshold. */
  calibration: HitStats;
}

/**
 * The lowest cosine threshold for one intent's frame-compatible pairs with hit precision
 * >= 99% at the strongest feasible confidence rule; pairs in other frames never hit.
 */
export function calibrateIntent(pairs: readonly ScoredCachePair[], opts: { minPrecision?: number; floor?: number } = {}): IntentThreshold {
  const minPrecision = opts.minPrecision ?? ROUTE_MIN_PRECISION;
  const floor = opts.floor ?? -1;
  // Pairs below the floor never hit, so they are no evidence either way: the Wilson rule is
  // checked on the hits the threshold actually serves (flooring a threshold chosen on all the
  // pairs afterwards would leave fewer hits than the rule needed).
  const preds: Prediction[] = pairs.map((p) => ({ gold: p.label === 1 ? 'hit' : 'miss', label: p.sameFrame && p.cosine >= floor ? 'hit' : 'oos', confidence: p.cosine }));
  for (const { rule, z } of ROUTE_RULES) {
    const c = calibrateThreshold(preds, { minPrecision, z });
    if (!c.feasible) continue;
    // Every pair above the floor hits and some in the frame lie below it: the floor binds.
    const binding = c.count === preds.filter((p) => p.label === 'hit').length && pairs.some((p) => p.sameFrame && p.cosine < floor);
    // The exact cosine (not rounded down: a rounded threshold could admit a pair the rule never saw).
    const t = binding ? floor : Math.max(c.threshold, floor);
    return { threshold: t, rule: binding ? `${rule}+floor` : rule, feasible: true, calibration: hitStats(pairs, (p) => p.sameFrame && p.cosine >= t) };
  }
  return { threshold: 1, rule: 'none', feasible: false, calibration: hitStats(pairs, () => false) };
}

/** Precision and coverage (share of positives served) of an intent's pairs at each threshold. */
export function precisionCoverageCurve(pairs: readonly ScoredCachePair[], hit: (p: ScoredCachePair, t: number) => boolean, steps = 60): { t: number; precision: number; recall: number }[] {
  const out: { t: number; precision: number; recall: number }[] = [];
  for (let i = 0; i <= steps; i++) {
    const t = 0.7 + (0.3 * i) / steps;
    const s = hitStats(pairs, (p) => hit(p, t));
    out.push({ t: round(t), precision: s.precision, recall: s.recall });
  }
  return out;
}

function round(x: number): number {
  return Math.floor(x * 1e4) / 1e4;
}

/**
 * The cosine two unrelated store questions reach by chance: the `q` quantile of the cosines of
 * random pairs of questions of different intents (deterministic sample). Within a key frame a
 * hit must also clear it, so the frame never decides alone when the wording shares nothing.
 */
export function chanceSimilarity(byIntent: ReadonlyMap<string, Float32Array[]>, q = 0.99, samples = 20000, seed = 19): number {
  const intents = [...byIntent.keys()].filter((i) => byIntent.get(i)!.length);
  if (intents.length < 2) return 0;
  const r = mulberry32(seed);
  const cs: number[] = [];
  for (let n = 0; n < samples; n++) {
    const i = Math.floor(r() * intents.length);
    const j = (i + 1 + Math.floor(r() * (intents.length - 1))) % intents.length;
    const A = byIntent.get(intents[i])!;
    const B = byIntent.get(intents[j])!;
    cs.push(cosine(A[Math.floor(r() * A.length)], B[Math.floor(r() * B.length)]));
  }
  cs.sort((a, b) => a - b);
  return round(cs[Math.min(cs.length - 1, Math.floor(q * cs.length))]);
}
