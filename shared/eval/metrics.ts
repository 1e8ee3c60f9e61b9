/**
 * Evaluation metrics of the model pipeline. Pure functions, no I/O.
 *
 * Conventions: a metric over an empty set is NaN (except where noted), labels are compared as
 * exact strings, and `OOS` ("oos") is the out-of-scope label.
 */
import { OOS } from '../models/intent-classifier.ts';

/** One classified example. `confidence` is the max class probability (after softmax). */
export interface Prediction {
  gold: string;
  label: string;
  confidence: number;
  probs?: Float32Array;
}

// ---------------------------------------------------------------------------------------------
// Classification

/** Fraction of predictions with label === gold (OOS included as a class). NaN when empty. */
export function accuracy(preds: readonly Prediction[]): number {
  if (preds.length === 0) return NaN;
  let ok = 0;
  for (const p of preds) if (p.label === p.gold) ok++;
  return ok / preds.length;
}

/** Accuracy over examples whose gold label is not OOS (predicting OOS there is wrong). NaN when none. */
export function inScopeAccuracy(preds: readonly Prediction[]): number {
  let n = 0;
  let ok = 0;
  for (const p of preds) {
    if (p.gold === OOS) continue;
    n++;
    if (p.label === p.gold) ok++;
  }
  return n === 0 ? NaN : ok / n;
}

/** Among gold-OOS examples, the fraction predicted OOS; null when the gold has no OOS. */
export function oosRecall(preds: readonly Prediction[]): number | null {
  let n = 0;
  let ok = 0;
  for (const p of preds) {
    if (p.gold !== OOS) continue;
    n++;
    if (p.label === OOS) ok++;
  }
  return n === 0 ? null : ok / n;
}

/** One point of the out-of-scope trade-off: the scores had the out-of-scope cut been `cut`. */
export interface OosTradeoffPoint {
  cut: number;
  inScopeAccuracy: number;
  oosRecall: number;
}

/**
 * In-scope accuracy and out-of-scope recall at each cut: a message is out of scope when its top
 * label is `oos` or its top probability is below the cut (the rule of decideIntent). Null when the
 * gold has no out-of-scope example.
 */
export function oosTradeoff(rows: ReadonlyArray<{ gold: string; topLabel: string; confidence: number }>, cuts: readonly number[]): OosTradeoffPoint[] | null {
  if (!rows.some((r) => r.gold === OOS)) return null;
  const top = rows.map((r) => ({ gold: r.gold, label: r.topLabel, confidence: r.confidence }));
  return cuts.map((cut) => {
    const preds = applyOosThreshold(top, cut);
    return { cut, inScopeAccuracy: inScopeAccuracy(preds), oosRecall: oosRecall(preds)! };
  });
}

/** Per-label precision / recall / F1 / support, for every label seen in gold. */
export function perLabelF1(
  preds: readonly Prediction[],
): Map<string, { precision: number; recall: number; f1: number; support: number }> {
  const tp = new Map<string, number>();
  const goldN = new Map<string, number>();
  const predN = new Map<string, number>();
  const inc = (m: Map<string, number>, k: string) => m.set(k, (m.get(k) ?? 0) + 1);
  for (const p of preds) {
    inc(goldN, p.gold);
    inc(predN, p.label);
    if (p.label === p.gold) inc(tp, p.gold);
  }
  const out = new Map<string, { precision: number; recall: number; f1: number; support: number }>();
  for (const label of [...goldN.keys()].sort()) {
    const t = tp.get(label) ?? 0;
    const g = goldN.get(label)!;
    const pn = predN.get(label) ?? 0;
    const precision = pn === 0 ? 0 : t / pn;
    const recall = t / g;
    const f1 = t === 0 ? 0 : (2 * precision * recall) / (precision + recall);
    out.set(label, { precision, recall, f1, support: g });
  }
  return out;
}

/**
 * Macro-F1 over the labels present in gold (OOS included when present). A label never predicted
 * correctly scores 0. Predicted labels absent from gold only lower the recall of the gold labels.
 */
export function macroF1(preds: readonly Prediction[]): number {
  const per = perLabelF1(preds);
  if (per.size === 0) return NaN;
  let s = 0;
  for (const v of per.values()) s += v.f1;
  return s / per.size;
}

// ---------------------------------------------------------------------------------------------
// Calibration

export interface ReliabilityBin {
  lo: number;
  hi: number;
  count: number;
  /** Mean confidence in the bin (NaN when empty). */
  confidence: number;
  /** Fraction correct in the bin (NaN when empty). */
  accuracy: number;
}

/**
 * Equal-width confidence bins over [0, 1]. Bin b covers (b/B, (b+1)/B]; confidence 0 goes to the
 * first bin (the usual Guo et al. 2017 convention).
 */
export function reliabilityBins(preds: readonly Prediction[], bins = 15): ReliabilityBin[] {
  const count = new Array<number>(bins).fill(0);
  const confSum = new Array<number>(bins).fill(0);
  const okSum = new Array<number>(bins).fill(0);
  for (const p of preds) {
    const c = Math.min(1, Math.max(0, p.confidence));
    const b = Math.min(bins - 1, Math.max(0, Math.ceil(c * bins) - 1));
    count[b]++;
    confSum[b] += c;
    if (p.label === p.gold) okSum[b]++;
  }
  return count.map((n, b) => ({
    lo: b / bins,
    hi: (b + 1) / bins,
    count: n,
    confidence: n ? confSum[b] / n : NaN,
    accuracy: n ? okSum[b] / n : NaN,
  }));
}

/**
 * Expected calibration error: sum over bins of (n_b / N) * |acc_b - conf_b|, with `bins`
 * (default 15) equal-width bins on the max-probability confidence. NaN when empty.
 */
export function ece(preds: readonly Prediction[], bins = 15): number {
  if (preds.length === 0) return NaN;
  let e = 0;
  for (const b of reliabilityBins(preds, bins)) {
    if (b.count) e += (b.count / preds.length) * Math.abs(b.accuracy - b.confidence);
  }
  return e;
}

// ---------------------------------------------------------------------------------------------
// Confusion

export interface ConfusionMatrix {
  /** Sorted union of gold and predicted labels. */
  labels: string[];
  /** matrix[i][j] = number of examples with gold labels[i] predicted labels[j]. */
  matrix: number[][];
}

export function confusionMatrix(preds: readonly Prediction[]): ConfusionMatrix {
  const set = new Set<string>();
  for (const p of preds) {
    set.add(p.gold);
    set.add(p.label);
  }
  const labels = [...set].sort();
  const index = new Map(labels.map((l, i) => [l, i]));
  const matrix = labels.map(() => new Array<number>(labels.length).fill(0));
  for (const p of preds) matrix[index.get(p.gold)!][index.get(p.label)!]++;
  return { labels, matrix };
}

/**
 * The k labels most involved in errors (off-diagonal row + column sums, ties by name) and the
 * confusion matrix restricted to them, in that order.
 */
export function mostConfused(cm: ConfusionMatrix, k = 10): ConfusionMatrix & { errors: number[] } {
  const n = cm.labels.length;
  const errs = cm.labels.map((_, i) => {
    let e = 0;
    for (let j = 0; j < n; j++) if (j !== i) e += cm.matrix[i][j] + cm.matrix[j][i];
    return e;
  });
  const order = cm.labels
    .map((l, i) => ({ l, i, e: errs[i] }))
    .filter((x) => x.e > 0)
    .sort((a, b) => b.e - a.e || (a.l < b.l ? -1 : a.l > b.l ? 1 : 0))
    .slice(0, k);
  return {
    labels: order.map((x) => x.l),
    errors: order.map((x) => x.e),
    matrix: order.map((r) => order.map((c) => cm.matrix[r.i][c.i])),
  };
}

// ---------------------------------------------------------------------------------------------
// Thresholds

export interface BypassStats {
  threshold: number;
  /** Fraction correct among the bypassed predictions; 1 (vacuously) when none is bypassed. */
  precision: number;
  /** Bypassed predictions / all predictions (0 when there are none). */
  coverage: number;
  /** Number of bypassed predictions. */
  count: number;
}

/**
 * The "bypass" set: predictions with confidence >= threshold whose predicted label is not OOS
 * (those a fast tier would answer on its own). Returns its precision and coverage.
 */
export function bypass(preds: readonly Prediction[], threshold: number): BypassStats {
  let count = 0;
  let ok = 0;
  for (const p of preds) {
    if (p.label === OOS || !(p.confidence >= threshold)) continue;
    count++;
    if (p.label === p.gold) ok++;
  }
  return {
    threshold,
    precision: count ? ok / count : 1,
    coverage: preds.length ? count / preds.length : 0,
    count,
  };
}

export interface CalibratedThreshold extends BypassStats {
  /** Kish effective sample size of the bypassed set (= count when unweighted). */
  effectiveCount: number;
  /** false when no threshold reaches minPrecision: threshold is then +Infinity (never bypass). */
  feasible: boolean;
  minPrecision: number;
}

/** Lower end of the Wilson score interval of a proportion ok/n (z = one-sided normal quantile). */
export function wilsonLower(ok: number, n: number, z: number): number {
  if (n === 0) return 0;
  const p = ok / n;
  const z2 = z * z;
  return (p + z2 / (2 * n) - z * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n))) / (1 + z2 / n);
}

/**
 * The smallest confidence threshold (a confidence value seen on val) whose bypass precision on
 * val is >= minPrecision (default 0.99), i.e. the largest coverage meeting the precision target.
 * With `z` > 0 the Wilson lower bound of that precision must clear minPrecision instead, which
 * keeps a small validation split from promising more than it can show.
 * With `weights` (one per prediction, e.g. to re-weight out-of-scope messages to a deployment
 * prior) precision and coverage are weighted, and the Wilson bound uses Kish's effective sample
 * size (sum w)^2 / sum w^2 of the bypassed set, so up-weighting a few examples buys no confidence.
 * Precision is not monotonic in the threshold; every candidate is checked.
 */
export function calibrateThreshold(
  valPreds: readonly Prediction[],
  opts: { minPrecision?: number; z?: number; weights?: readonly number[] } = {},
): CalibratedThreshold {
  const minPrecision = opts.minPrecision ?? 0.99;
  const z = opts.z ?? 0;
  const w = opts.weights;
  if (w && w.length !== valPreds.length) throw new Error('calibrateThreshold: one weight per prediction');
  const weightOf = (i: number) => (w ? w[i] : 1);
  let total = 0;
  for (let i = 0; i < valPreds.length; i++) total += weightOf(i);
  const eligible = valPreds
    .map((p, i) => ({ p, w: weightOf(i) }))
    .filter((e) => e.p.label !== OOS)
    .sort((a, b) => b.p.confidence - a.p.confidence);
  let best: CalibratedThreshold | null = null;
  let ok = 0;
  let sw = 0;
  let sw2 = 0;
  for (let i = 0; i < eligible.length; i++) {
    const { p, w: wi } = eligible[i];
    if (p.label === p.gold) ok += wi;
    sw += wi;
    sw2 += wi * wi;
    // Only at the end of a group of equal confidences is the set {conf >= t} complete.
    if (i + 1 < eligible.length && eligible[i + 1].p.confidence === p.confidence) continue;
    const count = i + 1;
    const precision = sw > 0 ? ok / sw : 1;
    const nEff = sw2 > 0 ? (sw * sw) / sw2 : 0;
    if ((z > 0 ? wilsonLower(precision * nEff, nEff, z) : precision) >= minPrecision) {
      best = {
        threshold: p.confidence,
        precision,
        coverage: total > 0 ? sw / total : 0,
        count,
        effectiveCount: nEff,
        feasible: true,
        minPrecision,
      };
    }
  }
  return (
    best ?? { threshold: Number.POSITIVE_INFINITY, precision: 1, coverage: 0, count: 0, effectiveCount: 0, feasible: false, minPrecision }
  );
}

/**
 * Weights that re-balance a split to an assumed out-of-scope share `prior`: in-scope examples
 * weigh 1, out-of-scope ones prior / (1 - prior) * nIn / nOos. All ones when the split has no
 * out-of-scope (or no in-scope) example, or prior is not in (0, 1).
 */
export function priorWeights(golds: readonly string[], prior: number): number[] {
  const nOos = golds.filter((g) => g === OOS).length;
  const nIn = golds.length - nOos;
  if (nOos === 0 || nIn === 0 || !(prior > 0 && prior < 1)) return golds.map(() => 1);
  const wOos = (prior / (1 - prior)) * (nIn / nOos);
  return golds.map((g) => (g === OOS ? wOos : 1));
}

/** Turns every prediction with confidence < threshold into OOS (returns new objects). */
export function applyOosThreshold(preds: readonly Prediction[], threshold: number): Prediction[] {
  return preds.map((p) => (p.confidence < threshold && p.label !== OOS ? { ...p, label: OOS } : p));
}

export interface OosThreshold {
  /** Predictions with confidence < threshold become OOS. */
  threshold: number;
  /** 'val' when chosen on val, 'default' when val has no OOS example. */
  source: 'val' | 'default';
  /** (inScopeAccuracy + oosRecall) / 2 on val at the threshold (NaN for 'default'). */
  objective: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
}

/**
 * The OOS rejection threshold chosen on val to maximise (in-scope accuracy + OOS recall) / 2
 * after `applyOosThreshold`. Candidates: 0 (reject nothing) and the midpoints between consecutive
 * distinct val confidences; ties go to the smallest threshold. When val has no gold OOS (or no
 * in-scope example) the low `defaultThreshold` (0.05) is returned instead.
 */
export function oosThreshold(
  valPreds: readonly Prediction[],
  opts: { defaultThreshold?: number } = {},
): OosThreshold {
  const defaultThreshold = opts.defaultThreshold ?? 0.05;
  const nOos = valPreds.filter((p) => p.gold === OOS).length;
  const nIn = valPreds.length - nOos;
  if (nOos === 0 || nIn === 0) {
    const applied = applyOosThreshold(valPreds, defaultThreshold);
    return {
      threshold: defaultThreshold,
      source: 'default',
      objective: NaN,
      inScopeAccuracy: inScopeAccuracy(applied),
      oosRecall: oosRecall(applied),
    };
  }
  const sorted = [...valPreds].sort((a, b) => a.confidence - b.confidence);
  // Threshold 0: nothing rejected.
  let inOk = 0;
  let oosOk = 0;
  for (const p of sorted) {
    if (p.gold === OOS) {
      if (p.label === OOS) oosOk++;
    } else if (p.label === p.gold) inOk++;
  }
  let best = { t: 0, obj: (inOk / nIn + oosOk / nOos) / 2, inOk, oosOk };
  // Raise the threshold past each group of equal confidences in turn.
  let i = 0;
  while (i < sorted.length) {
    const c = sorted[i].confidence;
    for (; i < sorted.length && sorted[i].confidence === c; i++) {
      const p = sorted[i];
      if (p.label === OOS) continue; // already OOS, unchanged by rejection
      if (p.gold === OOS) oosOk++;
      else if (p.label === p.gold) inOk--;
    }
    // Midpoint to the next distinct confidence; past the largest one, anything above it.
    const t = i < sorted.length ? (c + sorted[i].confidence) / 2 : c < 1 ? (c + 1) / 2 : c + 1e-9;
    const obj = (inOk / nIn + oosOk / nOos) / 2;
    if (obj > best.obj + 1e-12) best = { t, obj, inOk, oosOk };
  }
  return {
    threshold: best.t,
    source: 'val',
    objective: best.obj,
    inScopeAccuracy: best.inOk / nIn,
    oosRecall: best.oosOk / nOos,
  };
}

// ---------------------------------------------------------------------------------------------
// Correlation and summaries

/** 1-based ranks, ties get the average of the ranks they span. */
export function averageRanks(xs: readonly number[]): number[] {
  const order = xs.map((v, i) => ({ v, i })).sort((a, b) => a.v - b.v);
  const ranks = new Array<number>(xs.length);
  let i = 0;
  while (i < order.length) {
    let j = i;
    while (j + 1 < order.length && order[j + 1].v === order[i].v) j++;
    const r = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k].i] = r;
    i = j + 1;
  }
  return ranks;
}

/** Pearson correlation; NaN when lengths differ, n < 2 or a side has zero variance. */
export function pearson(x: readonly number[], y: readonly number[]): number {
  const n = x.length;
  if (n !== y.length || n < 2) return NaN;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  if (sxx === 0 || syy === 0) return NaN;
  return sxy / Math.sqrt(sxx * syy);
}

/** Spearman rank correlation: Pearson over average ranks (ties handled). */
export function spearman(x: readonly number[], y: readonly number[]): number {
  if (x.length !== y.length) return NaN;
  return pearson(averageRanks(x), averageRanks(y));
}

/** p-th percentile (0..100), linear interpolation between order statistics (numpy's default). */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const pos = (Math.min(100, Math.max(0, p)) / 100) * (s.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo] + (s[hi] - s[lo]) * (pos - lo);
}

/**
 * A distribution-free confidence interval of the p-th percentile, from order statistics: the count
 * B of values below the true percentile is Binomial(n, p/100), and [x(l), x(u)] (1-based, sorted)
 * covers it with probability P(l ≤ B < u), chosen with equal tails of at most (1 − confidence)/2.
 * An end the sample cannot bound is null: a p99 from fewer than 368 values has no 95 % upper bound
 * (even the largest value is below the true p99 with probability 0.99^n > 2.5 %).
 */
export function percentileInterval(values: readonly number[], p: number, confidence = 0.95): { lower: number | null; upper: number | null } {
  if (!(p > 0 && p < 100) || !(confidence > 0 && confidence < 1)) throw new Error(`percentileInterval needs 0 < p < 100 and 0 < confidence < 1, got ${p}, ${confidence}`);
  const n = values.length;
  if (n === 0) return { lower: null, upper: null };
  const s = [...values].sort((a, b) => a - b);
  const q = p / 100;
  const tail = (1 - confidence) / 2;
  // Binomial cdf in log space (no underflow at n in the thousands): cdf[k] = P(B ≤ k).
  const cdf: number[] = [];
  let logPmf = n * Math.log(1 - q);
  let acc = 0;
  for (let k = 0; k <= n; k++) {
    if (k > 0) logPmf += Math.log((n - k + 1) / k) + Math.log(q / (1 - q));
    cdf.push((acc += Math.exp(logPmf)));
  }
  // Largest l with P(B < l) ≤ tail; smallest u with P(B ≥ u) ≤ tail.
  let l = 0;
  while (l + 1 <= n && cdf[l] <= tail) l++;
  let u = n + 1;
  while (u - 1 >= 1 && 1 - cdf[u - 2] <= tail) u--;
  return { lower: l >= 1 ? s[l - 1] : null, upper: u <= n ? s[u - 1] : null };
}

export interface Percentiles {
  n: number;
  mean: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** p50 / p90 / p99 (plus n, mean and max) of a number array, e.g. latencies in ms. */
export function percentiles(values: readonly number[]): Percentiles {
  let sum = 0;
  let max = -Infinity;
  for (const v of values) {
    sum += v;
    if (v > max) max = v;
  }
  return {
    n: values.length,
    mean: values.length ? sum / values.length : NaN,
    p50: percentile(values, 50),
    p90: percentile(values, 90),
    p99: percentile(values, 99),
    max: values.length ? max : NaN,
  };
}

// ---------------------------------------------------------------------------------------------
// Bundle

export interface IntentMetrics {
  n: number;
  accuracy: number;
  inScopeAccuracy: number;
  oosRecall: number | null;
  macroF1: number;
  ece: number;
}

/** The headline intent metrics in one object. */
export function intentMetrics(preds: readonly Prediction[]): IntentMetrics {
  return {
    n: preds.length,
    accuracy: accuracy(preds),
    inScopeAccuracy: inScopeAccuracy(preds),
    oosRecall: oosRecall(preds),
    macroF1: macroF1(preds),
    ece: ece(preds),
  };
}
