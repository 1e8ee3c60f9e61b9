/**
 * What the soak bench judges memory by: the Theil–Sen slope through each minute's floor (a garbage
 * collector's sawtooth must not read as growth, nor hide it), the edge's gauge of the entries
 * its in-isolate stores hold, and the readings that split workerd's memory (V8's --trace-gc lines,
 * tcmalloc's malloc_stats, anonymous memory by address stretch).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EdgeMetrics } from '../edge/src/http/metrics.ts';
import { allocatedMb, anonByStretch, floors, heapReadings, medianSlope, netOfGcSlack, samplesAfter, slope, tcmallocStats, traceGc, traceGcSpaces, type GcLine } from '../scripts/soak/rss.ts';
import { closedLoad, openLoad } from '../scripts/soak/mix.ts';

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

/**
 * A workerd-like process (minutes on x, MB on y): native memory rising `nativeLeak` a minute; one
 * isolate whose live objects rise `jsLeak` a minute and whose heap fills with garbage at `fill` a
 * minute between full collections every `cycle` minutes (the first at `firstFull`), committed over
 * `headroom(x)` MB more. RSS every 5 s; a Scavenge line every 10 s and a Mark-Compact line at each
 * full collection, as --trace-gc writes them.
 */
function gcProcess(o: { minutes: number; nativeLeak: number; jsLeak: number; fill: number; cycle: number; firstFull: number; headroom: (x: number) => number }) {
  const live = (x: number) => 12.5 + o.jsLeak * x;
  const lastFull = (x: number) => (x < o.firstFull ? 0 : o.firstFull + Math.floor((x - o.firstFull) / o.cycle + 1e-9) * o.cycle);
  const committed = (x: number) => live(x) + o.fill * (x - lastFull(x)) + o.headroom(x);
  const rss = Array.from({ length: o.minutes * 12 + 1 }, (_, i) => ({ x: i / 12, y: 280 + o.nativeLeak * (i / 12) + committed(i / 12) }));
  const lines: GcLine[] = Array.from({ length: o.minutes * 6 + 1 }, (_, i) => i / 6).map((x) => ({ ms: x * 60_000, kind: 'Scavenge', usedBeforeMb: 0, usedMb: live(x) + o.fill * (x - lastFull(x)), committedMb: committed(x) }));
  for (let x = o.firstFull; x <= o.minutes; x += o.cycle) lines.push({ ms: x * 60_000, kind: 'Mark-Compact', usedBeforeMb: 0, usedMb: live(x), committedMb: committed(x) });
  lines.sort((a, b) => a.ms - b.ms);
  return { rss, lines };
}

/** Both verdicts on minutes 5 to 10, as the bench fits them: Theil–Sen through 1-minute floors of RSS, and of RSS net of the heap's slack. */
function verdicts(p: ReturnType<typeof gcProcess>) {
  const window = p.rss.filter((q) => q.x >= 5 && q.x < 10);
  return { rssFloors: medianSlope(floors(window, 1)), net: medianSlope(floors(netOfGcSlack(window, [heapReadings(p.lines, (ms) => ms / 60_000)]), 1)) };
}

describe('soak slope net of the collector\'s slack', () => {
  const flat = { minutes: 10, nativeLeak: 0, jsLeak: 0, fill: 2.5, cycle: 5, firstFull: 4.9, headroom: () => 18 };

  it('reads a collection cycle as long as the window as flat, where the RSS floors read it as growth', () => {
    const v = verdicts(gcProcess(flat));
    expect(v.rssFloors).toBeGreaterThan(2);
    expect(Math.abs(v.net)).toBeLessThan(0.05);
  });

  it('reads a heap sized up over eight minutes (no more live objects) as flat', () => {
    const v = verdicts(gcProcess({ ...flat, cycle: 1, firstFull: 0.5, headroom: (x) => Math.min(80, 10 * x) }));
    expect(v.rssFloors).toBeGreaterThan(5);
    expect(Math.abs(v.net)).toBeLessThan(0.05);
  });

  it('finds a native leak on that cycle: the rise itself', () => {
    const v = verdicts(gcProcess({ ...flat, nativeLeak: 2 }));
    expect(v.net).toBeCloseTo(2, 1);
  });

  it('finds a leak of JavaScript objects, measured at each full collection and drawn straight between them', () => {
    expect(verdicts(gcProcess({ ...flat, jsLeak: 2, cycle: 1.5, firstFull: 0.7 })).net).toBeCloseTo(2, 0);
    // One full collection in the window (at 8.2 min; the one before at 4.2): read as one step at 8.2,
    // live would give floors flat, flat, flat, +8, +8 and a median slope of 0.
    const one = verdicts(gcProcess({ ...flat, jsLeak: 2, cycle: 4, firstFull: 0.2 })).net;
    expect(one).toBeGreaterThan(1);
  });

  it('takes each heap\'s latest reading at or before a sample, live as of the last full collection', () => {
    const line = (ms: number, kind: string, usedMb: number, committedMb: number) => ({ ms, kind, usedBeforeMb: 0, usedMb, committedMb });
    const readings = heapReadings([line(0, 'Scavenge', 10, 20), line(60_000, 'Mark-Compact (reduce)', 12, 30), { ...line(90_000, 'Scavenge', 25, 40), pooledMb: 2 }], (ms) => ms / 60_000);
    expect(readings).toEqual([{ x: 0, committedMb: 20, liveMb: 10 }, { x: 1, committedMb: 30, liveMb: 12 }, { x: 1.5, committedMb: 42, liveMb: 12 }]);
    // Between two full collections, live on the line from one to the next.
    expect(heapReadings([line(0, 'Mark-Compact', 10, 20), line(30_000, 'Scavenge', 18, 22), line(60_000, 'Mark-Compact', 14, 24)], (ms) => ms / 60_000)[1]).toEqual({ x: 0.5, committedMb: 22, liveMb: 12 });
    const pts = [-0.5, 0.5, 1.2, 2].map((x) => ({ x, y: 300 }));
    // Before any reading the sample is left out; two heaps' slacks add up, one not read yet counting none.
    expect(netOfGcSlack(pts, [readings])).toEqual([{ x: 0.5, y: 290 }, { x: 1.2, y: 282 }, { x: 2, y: 270 }]);
    expect(netOfGcSlack(pts, [readings, [{ x: 1, committedMb: 5, liveMb: 1 }]])).toEqual([{ x: 0.5, y: 290 }, { x: 1.2, y: 278 }, { x: 2, y: 266 }]);
  });

  it('picks the first RSS sample just after each full collection, once', () => {
    const pts = [0, 1, 2, 3, 4].map((x) => ({ x, y: 100 + x }));
    expect(samplesAfter(pts, [0.5, 0.9, 2.95, 4.5], 0.2)).toEqual([{ x: 1, y: 101 }, { x: 3, y: 103 }]);
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

// Lines as workerd wrote them in a soak (V8's --trace-gc, tcmalloc's malloc_stats), with a request log line between.
const WORKERD_OUTPUT = `[30505:0x33bdbfcf6000]      171 ms: Scavenge 5.6 (6.3) -> 5.3 (7.1) MB, pooled: 0.0 MB, 7.33 / 0.00 ms (average mu = 1.000, current mu = 1.000) allocation failure;
{"time":"2026-12-06T03:16:32.558Z","level":"info","tier":"edge","msg":"request","route":"/healthz","status":200}
[30505:0x33bdbfcf6000]   116875 ms: Mark-Compact 29.8 (33.7) -> 12.4 (33.5) MB, pooled: 2.5 MB, 129.34 / 0.00 ms (average mu = 0.989, current mu = 0.989) allocation failure; GC in old space requested
[30505:0x33bdbf064000]   120000 ms: Mark-Compact (reduce) 1.2 (2.0) -> 0.6 (1.0) MB, pooled: 0.0 MB
MALLOC:      101508992 (   96.8 MiB) Bytes in use by application
MALLOC: +     93618176 (   89.3 MiB) Bytes in page heap freelist
MALLOC: +      3418848 (    3.3 MiB) Bytes in central cache freelist
MALLOC: +            0 (    0.0 MiB) Bytes in per-CPU cache freelist
MALLOC: +            0 (    0.0 MiB) Bytes in Sharded cache freelist
MALLOC: +      7408392 (    7.1 MiB) Bytes in transfer cache freelist
MALLOC: +     12149400 (   11.6 MiB) Bytes in thread cache freelists
MALLOC: +      3112766 (    3.0 MiB) Bytes in malloc metadata
MALLOC:   ------------
MALLOC: =    223275838 (  212.9 MiB) Actual memory used (physical + swap)
MALLOC:      103440920 (   98.6 MiB) Bytes in use by application
MALLOC: +     79880192 (   76.2 MiB) Bytes in page heap freelist
`;

describe("workerd's memory, part by part", () => {
  it('reads each isolate\'s heap after every collection from --trace-gc lines', () => {
    const gcs = traceGc(WORKERD_OUTPUT);
    expect([...gcs.keys()]).toEqual(['0x33bdbfcf6000', '0x33bdbf064000']);
    expect(gcs.get('0x33bdbfcf6000')).toEqual([
      { ms: 171, kind: 'Scavenge', usedBeforeMb: 5.6, usedMb: 5.3, committedMb: 7.1, pooledMb: 0 },
      { ms: 116875, kind: 'Mark-Compact', usedBeforeMb: 29.8, usedMb: 12.4, committedMb: 33.5, pooledMb: 2.5 },
    ]);
    expect(gcs.get('0x33bdbf064000')).toEqual([{ ms: 120000, kind: 'Mark-Compact (reduce)', usedBeforeMb: 1.2, usedMb: 0.6, committedMb: 1.0, pooledMb: 0 }]);
  });

  it("splits each isolate's committed heap by space from --trace-gc-verbose blocks, external memory beside", () => {
    const block = (isolate: string, ms: number, kind: string, newKb: number, oldKb: number, extKb: number) => `[7:${isolate}]   ${ms} ms: ${kind} 31.2 (33.0) -> 12.9 (32.8) MB, pooled: 0.0 MB, 63.41 / 0.00 ms (average mu = 1.000, current mu = 1.000) allocation failure;
[7:${isolate}] Memory allocator,           used:  33620 KB, available:  1498284 KB
[7:${isolate}] New space,                  used:      0 KB, available:     2047 KB, committed:   ${newKb} KB
[7:${isolate}] New large object space,     used:      0 KB, available:     2048 KB, committed:      0 KB
{"time":"2026-12-06T12:23:34.867Z","level":"info","tier":"edge","msg":"request","route":"/v1/chat","status":200}
[7:${isolate}] Old space,                  used:   5504 KB, available:*     141 KB, committed:  ${oldKb} KB
[7:${isolate}] Large object space,         used:   4419 KB, available:        0 KB, committed:   4428 KB
[7:${isolate}] All spaces,                 used:  15107 KB, available:* 1502521 KB, committed:  33620 KB
[7:${isolate}] External memory reported:                    ${extKb} KB
[7:${isolate}] (*) Sweeping is still in progress, making available sizes inaccurate.
[7:${isolate}:0]   ${ms} ms: [HeapController] Limit: old size: 13222 KB, new limit: 23462 KB
`;
    const spaces = traceGcSpaces(block('0xa', 1000, 'Scavenge', 2048, 13312, 28850) + block('0xb', 1500, 'Scavenge', 256, 512, 0) + block('0xa', 290770, 'Mark-Compact', 1024, 23040, 28672));
    expect([...spaces.keys()]).toEqual(['0xa', '0xb']);
    const a = spaces.get('0xa')!;
    expect(a.map((g) => g.ms)).toEqual([1000, 290770]);
    expect(a[0].committedMb).toEqual({ new: 2, 'new large object': 0, old: 13, 'large object': 4428 / 1024 });
    expect(a[1].committedMb.old).toBe(22.5);
    expect(a[1].committedMb.new).toBe(1);
    expect(a[1].externalMb).toBe(28);
    expect(spaces.get('0xb')![0].committedMb.old).toBe(0.5);
    // Plain --trace-gc lines (no verbose block) give collections with no spaces, never another's.
    expect(traceGcSpaces(WORKERD_OUTPUT).get('0x33bdbfcf6000')!.every((g) => Object.keys(g.committedMb).length === 0 && Number.isNaN(g.externalMb))).toBe(true);
  });

  it('adds up what an isolate allocated between its collections, in the window asked for', () => {
    const gc = (ms: number, usedBeforeMb: number, usedMb: number) => ({ ms, kind: 'Scavenge', usedBeforeMb, usedMb, committedMb: 40 });
    // 12 → 20 (8 allocated), 14 → 30 (16), 13 → 13.5 (0.5); the first line only starts the count.
    const gcs = [gc(0, 11, 12), gc(1000, 20, 14), gc(2000, 30, 13), gc(3000, 13.5, 13)];
    expect(allocatedMb(gcs, 0, 10_000)).toBeCloseTo(24.5, 6);
    expect(allocatedMb(gcs, 1500, 10_000)).toBeCloseTo(16.5, 6);
    expect(allocatedMb(gcs, 1500, 2500)).toBeCloseTo(16, 6);
    // A heap that shrank between collections (a Mark-Compact's before can sit below the last after) counts as none, never as negative.
    expect(allocatedMb([gc(0, 20, 30), gc(1000, 25, 12)], 0, 10_000)).toBe(0);
  });

  it("reads tcmalloc's bytes in use apart from its free pages and caches, one entry per malloc_stats block", () => {
    const stats = tcmallocStats(WORKERD_OUTPUT);
    expect(stats).toHaveLength(2);
    expect(stats[0].inUse).toBeCloseTo(101508992 / 2 ** 20, 6);
    expect(stats[0].pageHeapFree).toBeCloseTo(93618176 / 2 ** 20, 6);
    expect(stats[0].caches).toBeCloseTo((3418848 + 7408392 + 12149400) / 2 ** 20, 6);
    expect(stats[1].inUse).toBeCloseTo(103440920 / 2 ** 20, 6);
    expect(stats[1].caches).toBe(0);
  });

  it('splits a process\'s anonymous memory by 4 GiB stretch, adding up to its RssAnon', () => {
    const hold = Buffer.alloc(64 * 2 ** 20, 1); // 64 MB touched, so anonymous and resident
    const stretches = anonByStretch(process.pid);
    const total = Object.values(stretches).reduce((a, b) => a + b, 0);
    const rssAnon = Number(/RssAnon:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))![1]) / 1024;
    expect(Object.keys(stretches).every((k) => /^0x[0-9a-f]+00000000$/.test(k))).toBe(true);
    expect(total).toBeGreaterThan(64);
    expect(Math.abs(total - rssAnon) / rssAnon).toBeLessThan(0.1);
    expect(hold[hold.length - 1]).toBe(1);
  });
});

describe('soak load', () => {
  it('open: starts arrivals on time, whatever the answers take, and drops the ones past the in-flight cap', async () => {
    const started: number[] = [];
    const t0 = performance.now();
    // Each arrival takes 250 ms; 600 a minute is one every 100 ms, so about three are in flight at once.
    const slow = async () => (started.push(performance.now() - t0), new Promise<void>((r) => setTimeout(r, 250)));
    const kept = await openLoad(slow, { rate: 600, maxInFlight: 64, until: t0 + 1000 });
    expect(kept.dropped).toBe(0);
    expect(kept.peakInFlight).toBeGreaterThanOrEqual(2);
    expect(kept.peakInFlight).toBeLessThanOrEqual(4);
    expect(started).toHaveLength(10);
    started.forEach((at, i) => expect(Math.abs(at - i * 100)).toBeLessThan(60));
    // With two in flight at most, the third due while two still run is dropped.
    const t1 = performance.now();
    let sent = 0;
    const { dropped, peakInFlight } = await openLoad(async () => (sent++, new Promise<void>((r) => setTimeout(r, 250))), { rate: 600, maxInFlight: 2, until: t1 + 1000 });
    expect(dropped).toBeGreaterThan(0);
    expect(peakInFlight).toBe(2);
    expect(sent + dropped).toBe(10);
  });

  it('closed: keeps the given number going back to back, so its rate is what the answers allow', async () => {
    let going = 0;
    let most = 0;
    let done = 0;
    const one = async () => {
      most = Math.max(most, ++going);
      await new Promise((r) => setTimeout(r, 50));
      going--;
      done++;
    };
    expect(await closedLoad(one, { concurrency: 3, until: performance.now() + 500 })).toBe(0);
    expect(most).toBe(3);
    expect(done).toBeGreaterThanOrEqual(24); // 3 at a time, 50 ms each, for 500 ms: about 30
    expect(done).toBeLessThanOrEqual(33);
  });
});
