/** Drift: PSI on known distributions, sliding windows and the monitor's warn/alert decisions. */
import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../models/pipeline/datasets.ts';
import {
  baselineFromPredictions,
  categoricalPsi,
  confidenceBin,
  DriftMonitor,
  isDriftBaseline,
  psi,
  psiStatus,
  SlidingWindow,
  type DriftBaseline,
} from '../regional/src/ops/drift.ts';
import { driftMonitor, observePrediction, registerDriftMetrics } from '../regional/src/ops/drift-monitor.ts';
import { Registry } from 'prom-client';

describe('population stability index', () => {
  it('matches hand-computed values', () => {
    // Σ (a−e)·ln(a/e) for e = uniform over 4, a = 0.1..0.4
    expect(psi([0.25, 0.25, 0.25, 0.25], [0.1, 0.2, 0.3, 0.4])).toBeCloseTo(0.2282174096, 9);
    expect(psi([0.5, 0.5], [0.7, 0.3])).toBeCloseTo(0.1694595721, 9);
    // counts are normalized: same as proportions
    expect(psi([25, 25, 25, 25], [10, 20, 30, 40])).toBeCloseTo(0.2282174096, 9);
    // an empty expected bin is floored at 1e-4 instead of dividing by zero
    expect(psi([50, 50, 0], [50, 25, 25])).toBeCloseTo(2.1285158933, 6);
  });

  it('is 0 for identical distributions, symmetric, and grows with the shift', () => {
    expect(psi([3, 5, 2], [3, 5, 2])).toBe(0);
    expect(psi([0.2, 0.8], [0.6, 0.4])).toBeCloseTo(psi([0.6, 0.4], [0.2, 0.8]), 12);
    const shifts = [0.05, 0.1, 0.2, 0.3].map((d) => psi([0.5, 0.5], [0.5 + d, 0.5 - d]));
    for (let i = 1; i < shifts.length; i++) expect(shifts[i]).toBeGreaterThan(shifts[i - 1]);
  });

  it('compares categories over the union of their keys', () => {
    expect(categoricalPsi({ a: 1, b: 1, c: 1, d: 1 }, { d: 40, c: 30, b: 20, a: 10 })).toBeCloseTo(0.2282174096, 9);
    expect(categoricalPsi({ a: 10 }, { a: 10, b: 0 })).toBe(0);
    expect(categoricalPsi({ a: 1, b: 1 }, { a: 1, b: 1, c: 2 })).toBeGreaterThan(0.2);
  });

  it('refuses malformed input', () => {
    expect(() => psi([1, 2], [1, 2, 3])).toThrow(RangeError);
    expect(() => psi([], [])).toThrow(RangeError);
    expect(() => psi([0, 0], [1, 1])).toThrow(/positive total/);
    expect(() => psi([1, -1], [1, 1])).toThrow(/negative/);
  });

  it('samples of the baseline itself stay under the warning threshold; a shifted mix alerts', () => {
    const probs = [0.3, 0.2, 0.15, 0.1, 0.1, 0.05, 0.05, 0.05];
    const draw = (rand: () => number, p: number[]) => {
      let x = rand();
      for (let i = 0; i < p.length; i++) if ((x -= p[i]) < 0) return i;
      return p.length - 1;
    };
    const rand = mulberry32(7);
    const counts = new Array(probs.length).fill(0);
    for (let i = 0; i < 5000; i++) counts[draw(rand, probs)]++;
    const same = psi(probs, counts);
    expect(same).toBeLessThan(0.01);
    expect(psiStatus(same, 5000, 200)).toBe('ok');
    const shifted = [0.1, 0.1, 0.15, 0.1, 0.1, 0.05, 0.05, 0.35];
    const c2 = new Array(probs.length).fill(0);
    for (let i = 0; i < 5000; i++) c2[draw(rand, shifted)]++;
    expect(psiStatus(psi(probs, c2), 5000, 200)).toBe('alert');
  });

  it('maps PSI to ok / warn / alert at 0.1 and 0.2, and small samples to insufficient', () => {
    expect(psiStatus(0.05, 1000, 200)).toBe('ok');
    expect(psiStatus(0.1, 1000, 200)).toBe('ok');
    expect(psiStatus(0.15, 1000, 200)).toBe('warn');
    expect(psiStatus(0.2, 1000, 200)).toBe('warn');
    expect(psiStatus(0.25, 1000, 200)).toBe('alert');
    expect(psiStatus(0.9, 199, 200)).toBe('insufficient');
  });
});

describe('sliding windows and the monitor', () => {
  const baseline: DriftBaseline = baselineFromPredictions(
    [...Array(100)].map((_, i) => ({ intent: i < 50 ? 'shipping_info' : 'return_policy', confidence: i % 2 ? 0.95 : 0.85 })),
    'test',
  );

  it('bins confidences into ten equal bins with 1.0 in the last', () => {
    expect([0, 0.05, 0.1, 0.55, 0.999, 1, 1.2, -0.1].map((c) => confidenceBin(c))).toEqual([0, 0, 1, 5, 9, 9, 9, 0]);
    expect(baseline.confidence).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 50, 50]);
    expect(isDriftBaseline(baseline)).toBe(true);
    expect(isDriftBaseline({ ...baseline, confidence: [1, 2] })).toBe(false);
  });

  it('forgets observations older than the window', () => {
    const w = new SlidingWindow(60_000, 10_000);
    w.observe('a', 0.9, 0);
    w.observe('b', 0.9, 30_000);
    expect(w.counts(30_000).n).toBe(2);
    expect(w.counts(75_000)).toMatchObject({ n: 1, intents: { b: 1 } });
    expect(w.counts(200_000).n).toBe(0);
  });

  it('reports ok for traffic like the baseline and alerts when the intent mix and confidences move', () => {
    const m = new DriftMonitor(baseline, { windows: [{ name: '1h', ms: 3_600_000 }], minSamples: 200 });
    const t0 = 1_000_000;
    for (let i = 0; i < 400; i++) m.observe(i % 2 ? 'shipping_info' : 'return_policy', i % 4 < 2 ? 0.85 : 0.95, t0 + i);
    const ok = m.report(t0 + 1000);
    expect(ok.status).toBe('ok');
    expect(ok.windows[0]).toMatchObject({ n: 400, intent: { status: 'ok' }, confidence: { status: 'ok' } });
    expect(ok.windows[0].intent.psi).toBeLessThan(0.01);

    const drifted = new DriftMonitor(baseline, { windows: [{ name: '1h', ms: 3_600_000 }], minSamples: 200 });
    for (let i = 0; i < 400; i++) drifted.observe(i % 5 ? 'order_status' : 'shipping_info', 0.45, t0 + i);
    const r = drifted.report(t0 + 1000);
    expect(r.status).toBe('alert');
    expect(r.windows[0].intent.status).toBe('alert');
    expect(r.windows[0].confidence.status).toBe('alert');
    expect(r.windows[0].topShifts[0].intent).toBe('order_status');
  });

  it('says no_baseline without one, insufficient with too few predictions, and ignores junk', () => {
    const m = new DriftMonitor(null, { windows: [{ name: '5m', ms: 300_000 }] });
    m.observe('a', 0.5, 0);
    expect(m.report(1).status).toBe('no_baseline');
    m.setBaseline(baseline);
    m.observe('b', Number.NaN, 2);
    m.observe('', 0.4, 2);
    const r = m.report(3);
    expect(r.windows[0].n).toBe(1);
    expect(r.status).toBe('insufficient');
  });

  it('feeds the process-wide monitor and exports the PSI gauge', async () => {
    driftMonitor.setBaseline(baseline);
    for (let i = 0; i < 300; i++) observePrediction('order_status', 0.4);
    const registry = new Registry();
    registerDriftMetrics(registry);
    registerDriftMetrics(registry); // once per registry
    const text = await registry.metrics();
    const m = text.match(/switchyard_drift_psi\{signal="intent",window="1h"\} ([\d.]+)/);
    expect(Number(m?.[1])).toBeGreaterThan(0.2);
    expect(text).toMatch(/switchyard_drift_window_predictions\{window="15m"\} 300/);
    driftMonitor.setBaseline(null);
  });
});
