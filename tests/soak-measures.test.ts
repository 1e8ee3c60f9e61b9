/**
 * What the soak bench judges memory by: the Theil–Sen slope through each minute's floor (a garbage
 * collector's sawtooth must not read as growth, nor hide it), and the edge's gauge of the entries
 * its in-isolate stores hold.
 */
import { describe, expect, it } from 'vitest';
import { EdgeMetrics } from '../edge/src/http/metrics.ts';
import { floors, medianSlope, slope } from '../scripts/soak/rss.ts';

/** A sawtooth: climbs `rise` MB/min from `base`, dropping back every `period` minutes; `leak` MB/min raises the base. */
const sawtooth = (o: { minutes: number; base: number; rise: number; period: number; leak: number; everyS?: number }) =>
  Array.from({ length: Math.floor((o.minutes * 60) / (o.everyS ?? 5)) + 1 }, (_, i) => {
    const x = (i * (o.everyS ?? 5)) / 60;
    return { x, y: o.base + o.leak * x + o.rise * (x % o.period) };
  });

describe('soak slopes', () => {
  it('reads a flat floor under a garbage collector sawtooth as flat, wherever the window ends', () => {
    // Collections every minute, 60 MB/min between them; least squares over every sample reads 1.2 MB/min here.
    const pts = sawtooth({ minutes: 6.95, base: 300, rise: 60, period: 1, leak: 0 });
    expect(slope(pts)).toBeGreaterThan(1);
    expect(Math.abs(medianSlope(floors(pts, 1)))).toBeLessThan(0.01);
  });

  it('finds a leak under the same sawtooth', () => {
    const pts = sawtooth({ minutes: 7, base: 300, rise: 60, period: 1, leak: 3 });
    expect(medianSlope(floors(pts, 1))).toBeCloseTo(3, 0);
  });

  it('is moved little by one outlying floor', () => {
    const lows = [0, 1, 2, 3, 4, 5, 6].map((x) => ({ x, y: 500 + (x === 3 ? -200 : 0) }));
    expect(medianSlope(lows)).toBe(0);
    expect(Math.abs(slope(lows))).toBeLessThan(1); // symmetric here; a late outlier would swing it
    expect(Math.abs(slope(lows.map((p) => (p.x === 6 ? { ...p, y: 300 } : p))))).toBeGreaterThan(10);
    expect(medianSlope(lows.map((p) => (p.x === 6 ? { ...p, y: 300 } : p)))).toBe(0);
  });
});

describe('isolate entries gauge', () => {
  it('reports each tracked store by name, read when rendered', () => {
    const m = new EdgeMetrics();
    let n = 3;
    m.trackEntries('cache_index', () => n);
    m.trackEntries('client_limit_keys', () => 0);
    expect(m.render()).toMatch(/# TYPE switchyard_edge_isolate_entries gauge\n(.*\n)*switchyard_edge_isolate_entries\{store="cache_index"\} 3\n/);
    n = 7;
    expect(m.render()).toContain('switchyard_edge_isolate_entries{store="cache_index"} 7\n');
    expect(m.render()).toContain('switchyard_edge_isolate_entries{store="client_limit_keys"} 0\n');
  });
});
