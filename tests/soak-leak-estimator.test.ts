/**
 * The soak's verdict (RSS net of the collector's slack, scripts/soak/rss.ts) on a real V8 heap: a
 * Node program whose heap fills and is cut back by full collections, with and without a leak, its
 * RSS read from /proc and its heap from its own --trace-gc lines, as the bench reads workerd's.
 * Time runs in seconds here, not minutes (30 s, the first 10 left out as warm-up), so the bench's
 * target of 1 MB/min reads as 1 MB/s. The soak itself was checked with a leaking Worker
 * (`--edge-leak-kb`, BENCHMARKS.md "Soak, sixth look").
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { floors, heapReadings, isFullCollection, medianSlope, netOfGcSlack, traceGc } from '../scripts/soak/rss.ts';

async function soak(leakKb: number) {
  const t0 = performance.now();
  const child = spawn(process.execPath, ['--trace-gc', new URL('helpers/leaky-heap.mjs', import.meta.url).pathname], { env: { PATH: process.env.PATH, LEAK_KB: String(leakKb), RUN_MS: '30000' } });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const rss: { x: number; y: number }[] = [];
  const read = setInterval(() => {
    try {
      rss.push({ x: (performance.now() - t0) / 1000, y: Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) / 1024 });
    } catch {
      // exited meanwhile
    }
  }, 100);
  await new Promise((r) => child.once('exit', r));
  clearInterval(read);
  const gcs = [...traceGc(out).values()].sort((a, b) => b.length - a.length);
  const window = rss.filter((p) => p.x >= 10 && p.x < 30);
  return {
    net: medianSlope(floors(netOfGcSlack(window, gcs.map((l) => heapReadings(l, (ms) => ms / 1000))), 1)),
    live: gcs[0].filter((g) => isFullCollection(g.kind)).map((g) => ({ x: g.ms / 1000, y: g.usedMb })),
  };
}

describe('soak verdict on a real V8 heap', () => {
  it('flags a leak of about 2 MB a second, and passes the same sawtooth without it', async () => {
    // 40 KB kept every 20 ms is 2 MB/s when the timer keeps time (less on a loaded machine).
    const [leaking, clean] = await Promise.all([soak(40), soak(0)]);
    // The leak is real: live after full collections rises.
    expect(medianSlope(leaking.live)).toBeGreaterThan(1);
    expect(leaking.net).toBeGreaterThan(1);
    expect(clean.net).toBeLessThan(1);
  }, 90_000);
});
