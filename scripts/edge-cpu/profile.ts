/**
 * `npx tsx scripts/edge-cpu/profile.ts --out DIR [--hz N] -- <bench:traffic args>`: where the edge's
 * CPU goes during a traffic replay (bench only; opt-in; it changes nothing the bench measures, but
 * perf's sampling costs the edge some CPU, so its run is not one to read latencies or CPU totals
 * from). Runs `scripts/bench-traffic.ts` with the given arguments as a child, and once the replay
 * starts, `perf record -g` of the edge's whole workerd process (every thread, native and JIT frames)
 * until that workerd exits, to DIR/perf.data; the bundle's source map to DIR/bundle.js.map; the
 * bench's JSON to DIR/bench.json. JavaScript frames have names when the edge's V8 writes a perf map:
 * `EDGE_V8_FLAGS="--perf-basic-prof --interpreted-frames-native-stack"` (scripts/soak/edge-workerd.ts;
 * plain workerd runner only). Read it with scripts/edge-cpu/report.ts. Needs `perf` and permission
 * to attach (root, or perf_event_paranoid ≤ 1).
 *
 * Not V8's own CPU profile over workerd's inspector: in plain `workerd serve` that profile books
 * the time the isolate's thread waits for I/O to the last JavaScript stack it ran (a 5 s replay's
 * CPU read as ~90 s of "samples", most in stream reads that were waiting), so it says where the
 * thread waited, not where it worked. perf samples a thread only while it is on a CPU.
 */
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { descendantsNamed } from '../traffic/cpu-wait.ts';

const dash = process.argv.indexOf('--');
const { values } = parseArgs({
  args: process.argv.slice(2, dash < 0 ? undefined : dash),
  options: { out: { type: 'string' }, hz: { type: 'string', default: '999' } },
});
if (!values.out) throw new Error('--out DIR is required');
const out = values.out;
mkdirSync(out, { recursive: true });
const say = (m: string) => process.stderr.write(`[profile-edge-cpu] ${m}\n`);

const bench = spawn(process.execPath, [...process.execArgv, join(import.meta.dirname, '..', 'bench-traffic.ts'), ...(dash < 0 ? [] : process.argv.slice(dash + 1))], { stdio: ['ignore', 'pipe', 'pipe'] });
let stdout = '';
bench.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
const ended = new Promise<number | null>((r) => bench.once('exit', r));
const started = new Promise<void>((resolve) => {
  let err = '';
  bench.stderr.on('data', (d: Buffer) => {
    process.stderr.write(d);
    err += d.toString();
    if (/replaying \d+ sessions/.test(err)) resolve();
  });
});
await Promise.race([started, ended]);
const [pid] = bench.pid ? descendantsNamed(bench.pid, 'workerd') : [];
if (!pid) throw new Error('no workerd under the bench (profile-edge-cpu needs --edge-runner workerd, the default)');
say(`edge workerd pid ${pid}`);

// The bundle's source map, before the edge's folder is removed at stop.
const map = readdirSync(tmpdir())
  .filter((d) => d.startsWith('sy-edge-workerd-'))
  .map((d) => join(tmpdir(), d, 'bundle', 'index.js.map'))
  .filter((f) => existsSync(f))
  .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs)[0];
if (map) copyFileSync(map, join(out, 'bundle.js.map'));

const perf = spawn('perf', ['record', '-F', values.hz!, '-g', '-p', String(pid), '-o', join(out, 'perf.data')], { stdio: ['ignore', 'ignore', 'inherit'] });
const perfExited = new Promise((r) => perf.once('exit', r));
const code = await ended;
perf.kill('SIGINT');
await perfExited;
writeFileSync(join(out, 'bench.json'), stdout);
say(`bench exited ${code}; written to ${out}`);
