/**
 * `npx tsx scripts/edge-cpu/report.ts DIR [--top 25] [--under REGEX] [--messages N]`: where the edge's
 * workerd spent its CPU during a replay, from the `perf record -g` that scripts/edge-cpu/profile.ts took (DIR/perf.data, JIT frames named through V8's --perf-basic-prof map, bundle lines
 * mapped to sources through DIR/bundle.js.map). perf samples a thread only while it is on a CPU, so
 * the shares are of CPU time (V8's own CPU profile over workerd's inspector is not: in plain workerd it
 * books the time the thread waits to the last JavaScript stack, so it is not read here).
 * Prints the split by thread, by kind of code at the leaf (JavaScript, V8 runtime, GC, compiler, wasm,
 * kj I/O, SQLite, kernel, malloc…), and by concern: the innermost frame on the stack
 * that names one (the session object, the D1 object, the LLM relay, session calls, metrics, logging,
 * the models…), else what the native stack says (HTTP, Durable Object storage, the event loop).
 * `--messages N`: also ms per message. `--under REGEX`: only samples with a frame matching it. Bench only.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SourceMapConsumer } from 'source-map-js';
import { concernOf, frameNamer, homeOf, kindOf, parsePerfScript } from './samples.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, under: { type: 'string' }, messages: { type: 'string' }, leaves: { type: 'string' }, chain: { type: 'string', default: '0' } } });
const dir = positionals[0];
const map = (() => {
  try {
    return new SourceMapConsumer(JSON.parse(readFileSync(join(dir, 'bundle.js.map'), 'utf8')));
  } catch {
    return null;
  }
})();
const script = spawnSync('perf', ['script', '-i', join(dir, 'perf.data'), '-F', 'comm,tid,period,ip,sym'], { encoding: 'utf8', maxBuffer: 2 ** 31 });
if (script.status !== 0) throw new Error(script.stderr);

const name = frameNamer(map ? (line, column) => map.originalPositionFor({ line, column }) : null);
const samples = parsePerfScript(script.stdout, name);

const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const under = values.under ? new RegExp(values.under) : undefined;

const byHome = new Map<string, number>();
const byThread = new Map<string, number>();
const byKind = new Map<string, number>();
const byConcern = new Map<string, number>();
const byLeaf = new Map<string, number>();
const concernKind = new Map<string, Map<string, number>>();
let total = 0;
for (const s of samples) {
  if (under && !s.stack.some((f) => under.test(f))) continue;
  total += s.ns;
  const thread = s.thread === 'workerd' ? 'workerd (the isolate\'s thread)' : s.thread.startsWith('V8 Default') ? 'V8 worker threads (GC, compile)' : s.thread;
  add(byThread, thread, s.ns);
  const leaf = s.stack[s.stack.length - 1] ?? '?';
  const kind = kindOf(leaf, s.stack);
  add(byKind, kind, s.ns);
  if (!s.thread.startsWith('workerd')) continue;
  add(byHome, homeOf(s.stack), s.ns);
  const concern = concernOf(s.stack);
  add(byConcern, concern, s.ns);
  const ck = concernKind.get(concern) ?? new Map<string, number>();
  concernKind.set(concern, ck);
  add(ck, kind, s.ns);
  const chain = Number(values.chain);
  const key = chain ? s.stack.slice(-chain).map((f) => f.slice(0, 90)).join(' < ') : ([...s.stack].reverse().find((f) => f.startsWith('js ')) ?? leaf);
  if (!values.leaves || new RegExp(values.leaves).test(concern)) add(byLeaf, key, s.ns);
}
const messages = values.messages ? Number(values.messages) : 0;
const show = (title: string, m: Map<string, number>, detail?: Map<string, Map<string, number>>) => {
  console.log(`--- ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) {
    const perMsg = messages ? `  ${(v / 1e6 / messages).toFixed(3).padStart(7)} ms/msg` : '';
    console.log(`${((v / total) * 100).toFixed(1).padStart(5)} %  ${(v / 1e6).toFixed(0).padStart(6)} ms${perMsg}  ${k}`);
    const d = detail?.get(k);
    if (d) console.log(`           ${[...d].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([kk, vv]) => `${kk} ${((vv / v) * 100).toFixed(0)}%`).join(', ')}`);
  }
};
console.log(`${samples.length} samples, ${(total / 1e6).toFixed(0)} ms of CPU${messages ? `, ${messages} messages: ${(total / 1e6 / messages).toFixed(2)} ms per message` : ''}`);
show('by thread', byThread);
show('by kind of code at the leaf (all threads)', byKind);
show('the isolate thread, by where it runs deployed', byHome);
show('the isolate thread, by concern (innermost frame that names one; else the native stack)', byConcern, concernKind);
show(`the isolate thread, by innermost JavaScript frame${values.leaves ? ` (concerns /${values.leaves}/)` : ''}`, byLeaf);
