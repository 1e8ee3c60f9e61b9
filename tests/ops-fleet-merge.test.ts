/**
 * The pure halves of the fleet view, in process: rollout windows of several instances merged
 * (VariantWindows.snapshot / merged: what the canary monitor judges with REDIS_URL) and the
 * dashboard's fleet rows and totals (fleetView), including malformed shared input.
 */
import { describe, expect, it } from 'vitest';
import { evaluateCanary } from '../regional/src/ops/rollout.ts';
import { VariantWindows } from '../regional/src/ops/rollout-stats.ts';
import { fleetView } from '../regional/src/ops/fleet.ts';
import type { OpsSample } from '../regional/src/ops/timeseries.ts';

const BOUNDS = [5, 10, 50, 100, 500];

describe('rollout windows of several instances', () => {
  it('add up counts and pool latencies, so a canary breach only the fleet shows is seen', () => {
    let now = 1_000_000;
    const w = () => new VariantWindows({ windowMs: 60_000, now: () => now });
    const [a, b] = [w(), w()];
    // Each instance alone: 20 canary requests, 4 errors (under minRequests 30 and minErrors 5).
    for (const inst of [a, b]) {
      for (let i = 0; i < 20; i++) inst.observe('1.1.0', { ms: 10 + i, error: i < 4 });
      for (let i = 0; i < 20; i++) inst.observe('1.0.0', { ms: 10, error: false });
    }
    const G = { minRequests: 30, minCompared: 100_000 };
    expect(evaluateCanary(a.observation('1.0.0', '1.1.0'), G).action).toBe('wait');
    const merged = VariantWindows.merged({ windowMs: 60_000, now: () => now }, [a.snapshot(), b.snapshot()]);
    const obs = merged.observation('1.0.0', '1.1.0');
    expect(obs.canary).toMatchObject({ requests: 40, errors: 8 });
    expect(obs.control).toMatchObject({ requests: 40, errors: 0 });
    expect(evaluateCanary(obs, G)).toMatchObject({ action: 'rollback', reasons: expect.arrayContaining([expect.objectContaining({ code: 'ERROR_RATE' })]) });
    // Buckets past the window drop out of the merged view too.
    now += 120_000;
    expect(VariantWindows.merged({ windowMs: 60_000, now: () => now }, [a.snapshot(), b.snapshot()]).report('1.1.0').requests).toBe(0);
  });

  it('cuts a shared latency reservoir and ignores malformed buckets', () => {
    const a = new VariantWindows({ windowMs: 60_000, now: () => 5_000 });
    for (let i = 0; i < 1000; i++) a.observe('v', { ms: i, error: false });
    const snap = a.snapshot(100);
    expect(snap.v[0].ms.length).toBeLessThanOrEqual(100);
    expect(snap.v[0].requests).toBe(1000);
    const bad = { v: [{ start: 'x', requests: 1 }], w: 'nope' } as never;
    const m = VariantWindows.merged({ windowMs: 60_000, now: () => 5_000 }, [snap, bad]);
    expect(m.report('v').requests).toBe(1000);
    expect(m.report('v').p99Ms).toBeGreaterThan(900);
  });
});

const sample = (t: number, o: Partial<OpsSample>): OpsSample => ({
  t,
  intervalMs: 1000,
  requests: 0,
  errors: 0,
  clientErrors: 0,
  latency: [0, 0, 0, 0, 0, 0],
  generateLatency: [0, 0, 0, 0, 0, 0],
  modelErrors: {},
  queues: {},
  eventLoop: { p99: 1, max: 2 },
  llm: { active: 0, concurrency: 8 },
  paths: {},
  edgePaths: null,
  tokensIn: 0,
  tokensOut: 0,
  costUsd: 0,
  sessions: 0,
  turns: 0,
  drift: { window: '1h', n: 0, intent: null, confidence: null, status: 'ok' },
  ...o,
});

describe('the fleet view', () => {
  it('has one row per instance and totals whose rates add up and whose quantiles pool every request', () => {
    const view = fleetView(
      {
        a: [sample(1000, { requests: 10, latency: [10, 10, 10, 10, 10, 10], paths: { llm: 4 }, costUsd: 0.01, sessions: 2, turns: 4 }), sample(2000, { requests: 10, latency: [10, 10, 10, 10, 10, 10], paths: { llm: 6 }, costUsd: 0.01, sessions: 1, turns: 6 })],
        b: [sample(2000, { requests: 100, errors: 5, latency: [0, 0, 0, 0, 100, 100], paths: { llm: 50, cache: 50 }, costUsd: 0.2, sessions: 10, turns: 100 })],
        quiet: [],
      },
      BOUNDS,
    );
    expect(view.instances.map((r) => r.instance)).toEqual(['a', 'b']);
    const [a, b] = view.instances;
    expect(a).toMatchObject({ samples: 2, lastSampleAt: 2000, rps: 10, paths: { llm: 10 }, sessions: 3, turns: 10 });
    expect(a.p99Ms!).toBeLessThanOrEqual(5);
    expect(b).toMatchObject({ rps: 100, errorRatio: 0.05, paths: { llm: 50, cache: 50 } });
    expect(view.totals).toMatchObject({ instances: 2, samples: 3, rps: 110, sessions: 13, turns: 110, paths: { llm: 60, cache: 50 } });
    expect(view.totals.costUsd).toBeCloseTo(0.22, 10);
    // 20 of 120 requests under 5 ms, 100 at 100-500 ms: the pooled p50 is in b's bucket, not a's.
    expect(view.totals.p50Ms!).toBeGreaterThan(100);
    expect(view.totals.errorRatio).toBeCloseTo(5 / 120, 10);
  });

  it('is empty with totals of zero when no instance reported', () => {
    expect(fleetView({}, BOUNDS)).toMatchObject({ instances: [], totals: { instances: 0, rps: 0, p99Ms: null } });
  });
});
