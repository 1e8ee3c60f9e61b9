/**
 * Resident memory of process trees, read from /proc (Linux): a process and all its descendants,
 * split by process name, so the soak bench can follow workerd apart from wrangler's Node process.
 * And the least-squares slope of a series (MB per minute), of all its points or of the floor of
 * each window (a leak raises the floor; garbage collection only moves the points above it).
 */
import { readdirSync, readFileSync } from 'node:fs';

interface Proc {
  pid: number;
  ppid: number;
  name: string;
}

function processes(): Proc[] {
  const out: Proc[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      // /proc/<pid>/stat: "pid (name) state ppid …"; the name may hold spaces and parentheses.
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      out.push({ pid: Number(d), name: stat.slice(stat.indexOf('(') + 1, close), ppid: Number(stat.slice(close + 2).split(' ')[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** Resident memory (MB) of a process: all of it, and its anonymous (heap, stacks) and file-backed (mapped files) parts. */
function rssOf(pid: number): { rssMb: number; anonMb: number; fileMb: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const mb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) / 1024;
    return { rssMb: mb('VmRSS'), anonMb: mb('RssAnon'), fileMb: mb('RssFile') + mb('RssShmem') };
  } catch {
    return { rssMb: 0, anonMb: 0, fileMb: 0 };
  }
}

/** `root` and its descendants, each with its RSS (MB), split into anonymous and file-backed. */
export function treeProcesses(root: number): (Proc & { rssMb: number; anonMb: number; fileMb: number })[] {
  const all = processes();
  const tree = new Set([root]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const p of all) if (!tree.has(p.pid) && tree.has(p.ppid)) (tree.add(p.pid), (grew = true));
  }
  return all.filter((p) => tree.has(p.pid)).map((p) => ({ ...p, ...rssOf(p.pid) }));
}

/** RSS (MB) of `root` and its descendants, summed per process name. */
export function treeRss(root: number): Record<string, number> {
  const by: Record<string, number> = {};
  for (const p of treeProcesses(root)) by[p.name] = (by[p.name] ?? 0) + p.rssMb;
  return by;
}

/**
 * A process's anonymous resident memory (MB) per 4 GiB-aligned stretch of its address space, from
 * /proc/<pid>/smaps, keyed by the stretch's start in hex. In workerd the stretches tell its memory
 * apart: V8's pointer-compression cage (the JavaScript heaps, one 4 GiB reservation), V8's code
 * range (rwx), tcmalloc's page heap (workerd's own C++ allocations: kj, HTTP, streams, SQLite) and
 * thread stacks each sit in a stretch of their own. Empty when smaps cannot be read.
 */
export function anonByStretch(pid: number): Record<string, number> {
  const out: Record<string, number> = {};
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return out;
  }
  let key = '';
  for (const line of text.split('\n')) {
    const range = /^([0-9a-f]+)-[0-9a-f]+ /.exec(line);
    if (range) key = `0x${(BigInt(`0x${range[1]}`) >> 32n).toString(16)}00000000`;
    else if (line.startsWith('Anonymous:')) out[key] = (out[key] ?? 0) + Number(/(\d+) kB/.exec(line)?.[1] ?? 0) / 1024;
  }
  return out;
}

/** A process's command line, shortened (what tells wrangler's two workerd processes apart). */
export function commandLine(pid: number, max = 160): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim().slice(0, max);
  } catch {
    return '';
  }
}

/** Least-squares slope of y over x. */
export function slope(points: { x: number; y: number }[]): number {
  const n = points.length;
  if (n < 2) return NaN;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let num = 0;
  let den = 0;
  for (const p of points) {
    num += (p.x - mx) * (p.y - my);
    den += (p.x - mx) ** 2;
  }
  return den ? num / den : NaN;
}

/** The lowest point of each `width`-long window of x (a GC sawtooth's floor), at the window's middle. */
export function floors(points: { x: number; y: number }[], width: number): { x: number; y: number }[] {
  const by = new Map<number, number>();
  for (const p of points) {
    const w = Math.floor(p.x / width);
    by.set(w, Math.min(by.get(w) ?? Infinity, p.y));
  }
  return [...by].map(([w, y]) => ({ x: (w + 0.5) * width, y }));
}

/**
 * Theil–Sen slope: the median of the slopes between every pair of points. One outlier (a sample
 * taken just before or after a collection) moves it little, where it can swing least squares.
 */
export function medianSlope(points: { x: number; y: number }[]): number {
  const s: number[] = [];
  for (let i = 0; i < points.length; i++) for (let j = i + 1; j < points.length; j++) if (points[j].x !== points[i].x) s.push((points[j].y - points[i].y) / (points[j].x - points[i].x));
  if (!s.length) return NaN;
  s.sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/**
 * V8's `--trace-gc` lines (`[pid:0xisolate]  1234 ms: Scavenge 21.1 (23.8) -> 19.7 (24.0) MB, …`):
 * per isolate, each collection's time (ms since the isolate started) and the heap used and
 * committed after it (MB). Committed is what the isolate's heap holds of the process's memory;
 * used after a collection is what its objects need.
 */
export function traceGc(text: string): Map<string, GcLine[]> {
  const out = new Map<string, GcLine[]>();
  for (const m of text.matchAll(/^\[\d+:(0x[0-9a-f]+)\]\s+(\d+) ms: ([A-Za-z-]+(?: \([^)]*\))?) ([\d.]+) \([\d.]+\) -> ([\d.]+) \(([\d.]+)\) MB(?:, pooled: ([\d.]+) MB)?/gm)) {
    if (!out.has(m[1])) out.set(m[1], []);
    out.get(m[1])!.push({ ms: Number(m[2]), kind: m[3], usedBeforeMb: Number(m[4]), usedMb: Number(m[5]), committedMb: Number(m[6]), pooledMb: Number(m[7] ?? 0) });
  }
  return out;
}

/**
 * V8's `--trace-gc-verbose` blocks (printed after each `--trace-gc` line: `[pid:0xisolate] Old space,
 * used: 5504 KB, available: 141 KB, committed: 23040 KB`, …, `External memory reported: 28850 KB`):
 * per isolate, each collection's time and what each space holds of the process after it (committed,
 * MB), with the memory V8 is told lives outside its heap (`external`: array buffers, WebAssembly
 * memories). Tells a young generation that grows or shrinks its semi-spaces from an old space that
 * keeps pages: the two move the committed heap of `--trace-gc` alike.
 */
export function traceGcSpaces(text: string): Map<string, GcSpaces[]> {
  const out = new Map<string, GcSpaces[]>();
  const last = new Map<string, GcSpaces>();
  for (const m of text.matchAll(/^\[\d+:(0x[0-9a-f]+)\]\s+(?:(\d+) ms: [A-Za-z-]+(?: \([^)]*\))? [\d.]+ \(|([A-Za-z -]+?) space,\s+used:\s+\d+ KB, available:\*?\s+\d+ KB, committed:\s+(\d+) KB|External memory reported:\s+(\d+) KB)/gm)) {
    const isolate = m[1];
    if (m[2] !== undefined) {
      const entry: GcSpaces = { ms: Number(m[2]), committedMb: {}, externalMb: NaN };
      last.set(isolate, entry);
      if (!out.has(isolate)) out.set(isolate, []);
      out.get(isolate)!.push(entry);
      continue;
    }
    const entry = last.get(isolate);
    if (!entry) continue;
    if (m[3] !== undefined) entry.committedMb[m[3].toLowerCase()] = Number(m[4]) / 1024;
    else entry.externalMb = Number(m[5]) / 1024;
  }
  return out;
}

/** One collection's `--trace-gc-verbose` block: committed MB by space (`new`, `old`, `code`, `large object`, …, `all`) and external MB. */
export interface GcSpaces {
  ms: number;
  committedMb: Record<string, number>;
  externalMb: number;
}

/**
 * One `--trace-gc` line: when, which collection, the heap used before and after it and committed
 * after it (MB), and the free pages V8 keeps pooled for reuse beside the committed ones (0 when the line has none).
 */
export interface GcLine {
  ms: number;
  kind: string;
  usedBeforeMb: number;
  usedMb: number;
  committedMb: number;
  pooledMb?: number;
}

/**
 * What an isolate allocated (MB) between its collections in `[fromMs, toMs)`: each collection's heap
 * used before it less the heap used after the one before. The rate V8 sizes its young generation
 * to; divided by the requests served in the window, the bytes the Worker allocates per request.
 * (Rounded to the 0.1 MB of the trace lines; a few hundred collections make that noise small.)
 */
export function allocatedMb(gcs: GcLine[], fromMs: number, toMs: number): number {
  let mb = 0;
  for (let i = 1; i < gcs.length; i++) if (gcs[i].ms >= fromMs && gcs[i].ms < toMs) mb += Math.max(0, gcs[i].usedBeforeMb - gcs[i - 1].usedMb);
  return mb;
}

/**
 * tcmalloc's `malloc_stats()` blocks (`MALLOC: 101508992 (96.8 MiB) Bytes in use by application`, …)
 * in a process's output, in order: the bytes the program holds, the free pages of its page heap,
 * and its caches' free lists (central, transfer, per-CPU, thread), in MB.
 */
export function tcmallocStats(text: string): { inUse: number; pageHeapFree: number; caches: number }[] {
  const out: { inUse: number; pageHeapFree: number; caches: number }[] = [];
  const mb = (block: string, what: RegExp) => Number(new RegExp(`^MALLOC:\\s+\\+?\\s*(\\d+) \\(.*\\) ${what.source}`, 'm').exec(block)?.[1] ?? 0) / 2 ** 20;
  for (const block of text.split(/(?=^MALLOC:\s+\d+ \(.*\) Bytes in use by application)/m).slice(1)) {
    out.push({
      inUse: mb(block, /Bytes in use by application/),
      pageHeapFree: mb(block, /Bytes in page heap freelist/),
      caches: [...block.matchAll(/^MALLOC:\s+\+\s*(\d+) \(.*\) Bytes in (?:central|per-CPU|Sharded|transfer|thread) cache freelists?$/gm)].reduce((a, m) => a + Number(m[1]), 0) / 2 ** 20,
    });
  }
  return out;
}

/** A collection whose heap used after it is what the isolate's objects need: V8's full one (not a Scavenge or Minor Mark-Compact). */
export const isFullCollection = (kind: string) => kind.startsWith('Mark-Compact');

/**
 * One reading of a garbage-collected heap at time `x` (minutes): what it holds of the process
 * (`committedMb`, its pooled free pages included) and what its objects needed at its latest full collection (`liveMb`). Their
 * difference is the collector's slack: memory a leak does not move, only the heap's sizing and
 * where its collection cycle stands.
 */
export interface HeapReading {
  x: number;
  committedMb: number;
  liveMb: number;
}

/**
 * The readings an isolate's `--trace-gc` lines give, one a collection: committed after it, and live
 * as the full collections measure it: between two of them, on the straight line from the one
 * before to the one after (a leak of objects grows between them, and is read as it grows rather
 * than as one step at the next, which a median of slopes could pass over); after the last one, its
 * value; before the first, the heap used after this collection (which can only read the slack
 * smaller). `at` maps a line's ms to the bench's minutes.
 */
export function heapReadings(gcs: GcLine[], at: (ms: number) => number): HeapReading[] {
  const full = gcs.filter((g) => isFullCollection(g.kind));
  let next = 0;
  return gcs.map((g) => {
    while (next < full.length && full[next].ms <= g.ms) next++;
    const before = full[next - 1];
    const after = full[next];
    const live = !before ? g.usedMb : !after ? before.usedMb : before.usedMb + ((after.usedMb - before.usedMb) * (g.ms - before.ms)) / (after.ms - before.ms);
    return { x: at(g.ms), committedMb: g.committedMb + (g.pooledMb ?? 0), liveMb: live };
  });
}

/**
 * A process's RSS less its heaps' slack (BENCHMARKS.md "Soak, sixth look"): at each sample, for each
 * heap, the latest reading at or before it, committed less live. What is left is the memory outside
 * the heaps (native allocations, buffers, code) plus what the heaps' objects need, so a leak of
 * either kind still raises it, while a heap grown to its working size, or caught high in a
 * collection cycle minutes long, does not. A heap with no reading yet (an isolate that has not
 * collected once, so a small one) counts no slack; a sample before any heap has a reading is left out.
 */
export function netOfGcSlack(points: { x: number; y: number }[], heaps: HeapReading[][]): { x: number; y: number }[] {
  const sorted = heaps.map((h) => [...h].sort((a, b) => a.x - b.x));
  const out: { x: number; y: number }[] = [];
  for (const p of points) {
    let slack = 0;
    let read = false;
    for (const h of sorted) {
      const r = latestAtOrBefore(h, p.x);
      if (r) (slack += r.committedMb - r.liveMb), (read = true);
    }
    if (read) out.push({ x: p.x, y: p.y - slack });
  }
  return out;
}

function latestAtOrBefore(h: HeapReading[], x: number): HeapReading | undefined {
  let lo = 0;
  let hi = h.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h[mid].x <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo ? h[lo - 1] : undefined;
}

/**
 * The first sample within `withinMin` minutes after each time in `at` (the full collections'): RSS
 * as it stands just after the heap was cut back to its live objects. Points are few (a full
 * collection every one to four minutes), so a slope through them is for reading beside the verdict.
 */
export function samplesAfter(points: { x: number; y: number }[], at: number[], withinMin: number): { x: number; y: number }[] {
  const sorted = [...points].sort((a, b) => a.x - b.x);
  const out: { x: number; y: number }[] = [];
  for (const t of at) {
    const p = sorted.find((q) => q.x >= t);
    if (p && p.x - t <= withinMin && out.at(-1) !== p) out.push(p);
  }
  return out;
}
