/**
 * `npx tsx scripts/bench-edge-cold-start.ts [runs] [<pack dir>]`: the edge Worker's cold start in
 * workerd (wrangler dev, offline). Each run starts a fresh wrangler dev (so a fresh isolate), waits
 * until it serves a static asset (which does not touch the Worker), then times the isolate's first
 * request, GET /healthz, which loads the models: assets read, every sha256 checked, sessions
 * created and warmed, template vectors computed. Prints the client's wall time, the Worker's own
 * `loadMs` (workerd's clock, which moves only across I/O, so it under-counts pure compute) and the
 * load average beside each run, then the median.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEdgeProcess } from './edge-process.ts';

const runs = Number(process.argv[2] ?? 5);
const domain = process.argv[3];
const dir = mkdtempSync(join(tmpdir(), 'switchyard-cold-'));
const walls: number[] = [];
const loads: number[] = [];
for (let i = 0; i < runs; i++) {
  const edge = await startEdgeProcess({
    port: 24000 + Math.floor(Math.random() * 2000),
    regionalUrl: 'http://127.0.0.1:9',
    persistTo: join(dir, `w${i}`),
    vars: { MODEL_REFRESH_INTERVAL_MS: '0' },
    quiet: true,
    domain,
    readyPath: '/models/classifier.json',
  });
  try {
    const t0 = performance.now();
    const res = await fetch(`${edge.url}/healthz`);
    const wall = performance.now() - t0;
    const body = (await res.json()) as { status: string; loadMs?: number; reason?: string };
    if (body.status !== 'ok') throw new Error(`the edge came up without its models: ${JSON.stringify(body)}`);
    walls.push(wall);
    loads.push(body.loadMs ?? NaN);
    console.log(`run ${i + 1}: first request ${wall.toFixed(0)} ms, loadMs ${body.loadMs}  (loadavg ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})`);
  } finally {
    await edge.stop();
  }
}
rmSync(dir, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`median of ${runs} fresh isolates: first request ${median(walls).toFixed(0)} ms, loadMs ${median(loads)}`);
