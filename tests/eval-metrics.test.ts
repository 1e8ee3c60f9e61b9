import { describe, expect, it } from 'vitest';
import { calibrateDecline, declineStats } from '../models/eval/decline-threshold.ts';
import { decideIntent } from '../shared/models/intent-classifier.ts';
import {
  oosTradeoff,
  accuracy,
  applyOosThreshold,
  averageRanks,
  bypass,
  calibrateThreshold,
  confusionMatrix,
  ece,
  inScopeAccuracy,
  macroF1,
  mostConfused,
  oosRecall,
  oosThreshold,
  pearson,
  percentile,
  percentiles,
  reliabilityBins,
  spearman,
  type Prediction,
} from '../shared/eval/metrics.ts';
import { renderIntentReport } from '../models/eval/report-html.js';

const P = (gold: string, label: string, confidence = 1): Prediction => ({ gold, label, confidence });

describe('classification metrics', () => {
  // a: P 1/2 R 1/2 F1 1/2; b: P 1/2 R 1 F1 2/3; oos: P 1 R 1/2 F1 2/3.
  const preds = [P('a', 'a'), P('a', 'b'), P('b', 'b'), P('oos', 'oos'), P('oos', 'a')];

  it('accuracy, in-scope accuracy, oos recall', () => {
    expect(accuracy(preds)).toBeCloseTo(3 / 5, 12);
    expect(inScopeAccuracy(preds)).toBeCloseTo(2 / 3, 12);
    expect(oosRecall(preds)).toBeCloseTo(1 / 2, 12);
    expect(oosRecall([P('a', 'a')])).toBeNull();
    expect(inScopeAccuracy([P('a', 'oos'), P('b', 'b')])).toBe(0.5); // OOS for in-scope gold is wrong
    expect(Number.isNaN(accuracy([]))).toBe(true);
  });

  it('macro-F1 over gold labels incl. oos', () => {
    expect(macroF1(preds)).toBeCloseTo((1 / 2 + 2 / 3 + 2 / 3) / 3, 12);
    // A predicted label absent from gold is not averaged in: only a (P 1, R 1/2, F1 2/3).
    expect(macroF1([P('a', 'a'), P('a', 'zzz')])).toBeCloseTo(2 / 3, 12);
    expect(macroF1([P('a', 'a'), P('b', 'b')])).toBe(1);
  });

  it('confusion matrix and most-confused sub-matrix', () => {
    const cm = confusionMatrix(preds);
    expect(cm.labels).toEqual(['a', 'b', 'oos']);
    expect(cm.matrix).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 1],
    ]);
    const sub = mostConfused(cm, 2);
    // errors: a = 1 (row) + 1 (col) = 2, b = 1, oos = 1 -> a, then b (name order on ties)
    expect(sub.labels).toEqual(['a', 'b']);
    expect(sub.errors).toEqual([2, 1]);
    expect(sub.matrix).toEqual([
      [1, 1],
      [0, 1],
    ]);
  });
});

describe('calibration', () => {
  it('ECE with 15 equal-width bins (hand computed)', () => {
    // bin (0.8667, 0.9333]: conf 0.9 x2, acc 0.5 -> |0.5 - 0.9| * 2/4 = 0.2
    // bin (0.1333, 0.2]: conf 0.2, acc 1 -> 0.8 * 1/4 = 0.2
    // bin (0.2667, 0.3333]: conf 0.3, acc 1 -> 0.7 * 1/4 = 0.175
    const preds = [P('a', 'a', 0.9), P('a', 'b', 0.9), P('a', 'a', 0.2), P('a', 'a', 0.3)];
    expect(ece(preds)).toBeCloseTo(0.575, 12);
    const bins = reliabilityBins(preds);
    expect(bins).toHaveLength(15);
    expect(bins[13].count).toBe(2);
    expect(bins[2].count).toBe(1);
    expect(bins[4].count).toBe(1);
  });

  it('ECE is 0 for a calibrated set and edges land in the first / last bin', () => {
    const calibrated = Array.from({ length: 10 }, (_, i) => P('a', i < 7 ? 'a' : 'b', 0.7));
    expect(ece(calibrated)).toBeCloseTo(0, 12);
    const b = reliabilityBins([P('a', 'a', 0), P('a', 'a', 1)]);
    expect(b[0].count).toBe(1);
    expect(b[14].count).toBe(1);
    expect(ece([P('a', 'a', 1)])).toBe(0);
  });
});

describe('thresholds', () => {
  const preds = [
    P('a', 'a', 0.95),
    P('a', 'b', 0.9),
    P('b', 'b', 0.8),
    P('oos', 'oos', 0.99), // predicted oos: never bypassed
    P('b', 'b', 0.5),
  ];

  it('bypass precision and coverage', () => {
    expect(bypass(preds, 0.85)).toEqual({ threshold: 0.85, precision: 0.5, coverage: 0.4, count: 2 });
    expect(bypass(preds, 0.95)).toEqual({ threshold: 0.95, precision: 1, coverage: 0.2, count: 1 });
    expect(bypass(preds, 0)).toEqual({ threshold: 0, precision: 0.75, coverage: 0.8, count: 4 });
    expect(bypass(preds, 1)).toEqual({ threshold: 1, precision: 1, coverage: 0, count: 0 });
  });

  it('calibrateThreshold picks the smallest threshold meeting the precision', () => {
    const c99 = calibrateThreshold(preds, { minPrecision: 0.99 });
    expect(c99).toMatchObject({ threshold: 0.95, precision: 1, coverage: 0.2, count: 1, feasible: true });
    expect(calibrateThreshold(preds).threshold).toBe(0.95); // default minPrecision 0.99
    // precision by threshold: 0.95 -> 1, 0.9 -> 1/2, 0.8 -> 2/3, 0.5 -> 3/4 (not monotonic)
    expect(calibrateThreshold(preds, { minPrecision: 0.74 })).toMatchObject({ threshold: 0.5, coverage: 0.8 });
    expect(calibrateThreshold(preds, { minPrecision: 0.76 }).threshold).toBe(0.95);
  });

  it('calibrateThreshold treats equal confidences as one group, and reports infeasible targets', () => {
    const tied = [P('a', 'a', 0.95), P('a', 'a', 0.9), P('a', 'b', 0.9)];
    expect(calibrateThreshold(tied, { minPrecision: 0.99 }).threshold).toBe(0.95);
    const bad = calibrateThreshold([P('a', 'b', 0.9), P('oos', 'oos', 0.9)]);
    expect(bad.feasible).toBe(false);
    expect(bad.threshold).toBe(Number.POSITIVE_INFINITY);
    expect(bad.coverage).toBe(0);
  });

  it('oosThreshold maximises (in-scope accuracy + oos recall) / 2 on val', () => {
    const val = [
      P('x', 'x', 0.9),
      P('y', 'y', 0.6),
      P('oos', 'x', 0.5),
      P('oos', 'y', 0.3),
      P('x', 'y', 0.4),
    ];
    // Rejecting below 0.55 turns the two gold-oos (0.5, 0.3) and the wrong 0.4 into oos.
    const t = oosThreshold(val);
    expect(t.source).toBe('val');
    expect(t.threshold).toBeCloseTo(0.55, 12);
    expect(t.objective).toBeCloseTo((2 / 3 + 1) / 2, 12);
    expect(t.inScopeAccuracy).toBeCloseTo(2 / 3, 12);
    expect(t.oosRecall).toBe(1);
    const applied = applyOosThreshold(val, t.threshold);
    expect(inScopeAccuracy(applied)).toBeCloseTo(2 / 3, 12);
    expect(oosRecall(applied)).toBe(1);
    expect(applied.map((p) => p.label)).toEqual(['x', 'y', 'oos', 'oos', 'oos']);
  });

  it('oosThreshold keeps 0 when rejecting only hurts, and falls back to a low default without oos', () => {
    expect(oosThreshold([P('x', 'x', 0.2), P('oos', 'oos', 0.9)]).threshold).toBe(0);
    const d = oosThreshold([P('x', 'x', 0.9), P('y', 'x', 0.3)]);
    expect(d.source).toBe('default');
    expect(d.threshold).toBe(0.05);
    expect(d.oosRecall).toBeNull();
    expect(oosThreshold([P('x', 'x', 0.9)], { defaultThreshold: 0.01 }).threshold).toBe(0.01);
  });
});

describe('correlation and percentiles', () => {
  it('average ranks for ties', () => {
    expect(averageRanks([10, 20, 20, 30])).toEqual([1, 2.5, 2.5, 4]);
    expect(averageRanks([3, 1, 3, 3])).toEqual([3, 1, 3, 3]);
  });

  it('Spearman with ties (= Pearson over average ranks)', () => {
    // ranks x = [1, 2.5, 2.5, 4], y = [1, 3, 2, 4]: sxy = 4.5, sxx = 4.5, syy = 5 -> sqrt(0.9)
    expect(spearman([1, 2, 2, 3], [1, 3, 2, 4])).toBeCloseTo(Math.sqrt(0.9), 12);
    expect(spearman([1, 2, 3, 4], [10, 20, 30, 1000])).toBeCloseTo(1, 12);
    expect(spearman([1, 2, 3], [3, 2, 1])).toBeCloseTo(-1, 12);
  });

  it('Pearson', () => {
    // mean 2 / 13/3: sxy = 5, sxx = 2, syy = 114/9
    expect(pearson([1, 2, 3], [2, 4, 7])).toBeCloseTo(5 / Math.sqrt(228 / 9), 12);
    expect(Number.isNaN(pearson([1, 1, 1], [1, 2, 3]))).toBe(true);
    expect(Number.isNaN(pearson([1, 2], [1, 2, 3]))).toBe(true);
  });

  it('percentiles with linear interpolation', () => {
    expect(percentile([4, 1, 3, 2], 50)).toBe(2.5);
    expect(percentile([1, 2, 3, 4], 99)).toBeCloseTo(3.97, 12);
    expect(percentile([7], 99)).toBe(7);
    const s = percentiles([1, 2, 3, 4]);
    expect(s).toMatchObject({ n: 4, mean: 2.5, p50: 2.5, max: 4 });
    expect(Number.isNaN(percentile([], 50))).toBe(true);
  });
});

describe('html report', () => {
  it('is one self-contained page with the expected sections', () => {
    const preds = [P('a', 'a', 0.9), P('a', 'b', 0.6), P('b', 'b', 0.8), P('oos', 'a', 0.4), P('<x>', 'a', 0.3)];
    const html = renderIntentReport({
      dataset: 'toy',
      model: 'm',
      predictions: preds,
      latencyMs: [0.1, 0.2, 0.2, 0.3, 5],
      peers: [{ name: 'nlpjs', inScopeAccuracy: 0.5, oosRecall: null, p50Ms: 0.2, trainSeconds: 3 }],
    });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    for (const s of ['Headline metrics', 'Most-confused intents', 'Reliability diagram', 'Latency', 'Peer comparison']) {
      expect(html).toContain(s);
    }
    expect(html.match(/<svg /g)).toHaveLength(2);
    expect(html).not.toMatch(/<script|<link |src="http|href="http/);
    expect(html).toContain('&lt;x&gt;');
    expect(html).not.toContain('<x>');
    expect(html).not.toContain('Out-of-scope trade-off');
    const withCurve = renderIntentReport({ dataset: 'toy', predictions: preds, oosTradeoff: { chosen: 0.5, points: oosTradeoff(TRADEOFF_ROWS, [0.5, 0.7])! } });
    expect(withCurve).toContain('Out-of-scope trade-off');
    expect(withCurve).toMatch(/font-weight:bold"><td class="num">0\.500 \(validation\)<\/td><td class="num">66\.67%<\/td><td class="num">50\.0%/);
  });
});

// in-scope: a@0.9 right, a@0.6 right, b@0.4 wrong label; oos: top oos@0.8, top a@0.55
const TRADEOFF_ROWS = [
  { gold: 'a', topLabel: 'a', confidence: 0.9 },
  { gold: 'a', topLabel: 'a', confidence: 0.6 },
  { gold: 'b', topLabel: 'a', confidence: 0.4 },
  { gold: 'oos', topLabel: 'oos', confidence: 0.8 },
  { gold: 'oos', topLabel: 'a', confidence: 0.55 },
];

describe('out-of-scope trade-off', () => {
  it('scores each cut by the decideIntent rule (top label oos, or top probability below the cut)', () => {
    const pts = oosTradeoff(TRADEOFF_ROWS, [0, 0.5, 0.7, 0.95])!;
    expect(pts.map((p) => [p.cut, p.inScopeAccuracy, p.oosRecall])).toEqual([
      [0, 2 / 3, 1 / 2],
      [0.5, 2 / 3, 1 / 2],
      [0.7, 1 / 3, 1],
      [0.95, 0, 1],
    ]);
    // The grid agrees with decideIntent on every row.
    for (const cut of [0.5, 0.7])
      for (const r of TRADEOFF_ROWS) expect(decideIntent(r.topLabel, r.confidence, { oosThreshold: cut, routeThreshold: 1 }).intent).toBe(r.topLabel === 'oos' || r.confidence < cut ? 'oos' : r.topLabel);
  });

  it('is null when the gold has no out-of-scope example', () => {
    expect(oosTradeoff(TRADEOFF_ROWS.filter((r) => r.gold !== 'oos'), [0.5])).toBeNull();
  });
});

describe('wilsonLower and conservative calibration', () => {
  it('matches a textbook Wilson bound and tightens the threshold on small samples', async () => {
    const { wilsonLower, calibrateThreshold } = await import('../shared/eval/metrics.ts');
    expect(wilsonLower(99, 100, 1.645)).toBeCloseTo(0.9564, 3);
    expect(wilsonLower(0, 0, 1.645)).toBe(0);
    // 100 correct confident predictions, then one wrong at lower confidence.
    const preds = [
      ...Array.from({ length: 100 }, (_, i) => ({ gold: 'a', label: 'a', confidence: 0.99 - i * 0.001 })),
      { gold: 'b', label: 'a', confidence: 0.5 },
    ];
    expect(calibrateThreshold(preds, { minPrecision: 0.99 }).count).toBe(101);
    const strict = calibrateThreshold(preds, { minPrecision: 0.96, z: 1.645 });
    expect(strict.count).toBe(100);
    expect(calibrateThreshold(preds, { minPrecision: 0.99, z: 1.645 }).feasible).toBe(false);
  });
});

describe('routing rule ladder', () => {
  it('takes the strongest confidence validation can show: 95%, else 90%, else observed', async () => {
    const { calibrateThreshold } = await import('../shared/eval/metrics.ts');
    const { strictestFeasible } = await import('../models/pipeline/intent-model.ts');
    const route = (preds: Prediction[]) => strictestFeasible((z) => calibrateThreshold(preds, { minPrecision: 0.99, z }));
    const correct = (n: number, top: number) => Array.from({ length: n }, (_, i) => P('a', 'a', top - i * 1e-5));
    // 0 errors: Wilson lower n / (n + z^2) >= 0.99 needs n >= 268 at 95%, n >= 163 at 90%.
    expect(route(correct(300, 0.99)).rule).toBe('wilson95');
    const mid = route(correct(200, 0.99));
    expect(mid.rule).toBe('wilson90');
    expect(mid.count).toBe(200);
    // 150 correct are too few for either bound: observed 99%, no margin, so the wrong one at the
    // bottom (150 / 151 = 99.3%) is routed too.
    const small = route([...correct(150, 0.99), P('b', 'a', 0.5)]);
    expect(small.rule).toBe('observed');
    expect(small.count).toBe(151);
    // Nothing precise enough at all: the last rule, infeasible.
    const none = route([P('b', 'a', 0.9), P('a', 'a', 0.8)]);
    expect(none).toMatchObject({ rule: 'observed', feasible: false });
  });
});

describe('routing threshold under an assumed out-of-scope prior', () => {
  it('priorWeights re-balances oos to the prior and leaves sets without oos alone', async () => {
    const { priorWeights } = await import('../shared/eval/metrics.ts');
    const golds = [...Array.from({ length: 30 }, () => 'a'), 'oos'];
    const w = priorWeights(golds, 0.2);
    expect(w[30]).toBeCloseTo(7.5, 10); // 0.25 * 30 / 1: oos is 20% of the total weight
    expect(w[30] / w.reduce((a, b) => a + b, 0)).toBeCloseTo(0.2, 10);
    expect(priorWeights(['a', 'b'], 0.2)).toEqual([1, 1]);
    expect(priorWeights(golds, 0)).toEqual(golds.map(() => 1));
  });

  it('weighted precision and Kish effective size decide the threshold', async () => {
    const { calibrateThreshold, wilsonLower } = await import('../shared/eval/metrics.ts');
    // 600 correct in-scope predictions above one oos message predicted in scope at 0.95.
    const preds: Prediction[] = [
      ...Array.from({ length: 300 }, (_, i) => P('a', 'a', 0.999 - i * 1e-4)),
      P('oos', 'a', 0.95),
      ...Array.from({ length: 300 }, (_, i) => P('a', 'a', 0.9 - i * 1e-4)),
    ];
    const plain = calibrateThreshold(preds, { minPrecision: 0.99, z: 1.645 });
    expect(plain.count).toBe(601); // 600/601 clears the bound unweighted
    expect(plain.effectiveCount).toBe(601);
    const weights = preds.map((p) => (p.gold === 'oos' ? 20 : 1));
    const weighted = calibrateThreshold(preds, { minPrecision: 0.99, z: 1.645, weights });
    // With the oos message worth 20, only the 300 above it can be routed.
    expect(weighted.count).toBe(300);
    expect(weighted.precision).toBe(1);
    expect(weighted.coverage).toBeCloseTo(300 / 620, 10);
    // Kish: the bound at the full set uses (620)^2 / (600 + 400) effective examples, not 601.
    const nEff = (620 * 620) / 1000;
    expect(wilsonLower((600 / 620) * nEff, nEff, 1.645)).toBeLessThan(0.99);
    expect(() => calibrateThreshold(preds, { weights: [1] })).toThrow(/one weight/);
  });
});

describe('out-of-scope declines', () => {
  const row = (gold: string, topLabel: string, confidence: number) => ({ gold, topLabel, confidence });
  it('picks the lowest threshold whose declines are precise enough, counting only oos top labels', () => {
    const rows = [
      ...Array.from({ length: 99 }, (_, i) => row('oos', 'oos', 0.99 - i * 0.001)),
      row('order_status', 'oos', 0.5), // a real question the model would decline
      row('oos', 'oos', 0.45),
      row('oos', 'shipping_info', 0.999), // not a decline at any threshold
    ];
    const t = calibrateDecline(rows, { minPrecision: 0.99 });
    expect(t.feasible).toBe(true);
    expect(t.threshold).toBeCloseTo(0.45); // 100 right of 101 at 0.45 is 99.0%
    expect(t.count).toBe(101);
    expect(t.coverage).toBeCloseTo(101 / 102);
    const strict = calibrateDecline(rows, { minPrecision: 0.995 });
    expect(strict.threshold).toBeGreaterThan(0.5);
    expect(declineStats(rows, strict.threshold)).toMatchObject({ precision: 1, count: strict.count });
  });
  it('is infeasible when every decline is wrong, and decideIntent then never trusts oos', () => {
    const t = calibrateDecline([row('order_status', 'oos', 0.9)]);
    expect(t.feasible).toBe(false);
    const c = { oosThreshold: 0.3, routeThreshold: 0.9 };
    expect(decideIntent('oos', 0.99, c)).toMatchObject({ intent: 'oos', confident: false });
    expect(decideIntent('oos', 0.99, { ...c, declineThreshold: 0.95 })).toMatchObject({ intent: 'oos', confident: true });
    expect(decideIntent('oos', 0.94, { ...c, declineThreshold: 0.95 })).toMatchObject({ confident: false });
    // Below the out-of-scope threshold an in-scope top label becomes oos, but is not a trusted decline.
    expect(decideIntent('order_status', 0.2, { ...c, declineThreshold: 0.1 })).toMatchObject({ intent: 'oos', confident: false });
  });
});
