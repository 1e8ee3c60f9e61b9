/**
 * `npx tsx scripts/soak/heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--top 25]`: what
 * grew between two V8 heap snapshots of one process (the soak bench's `--heap-snapshots`). Objects
 * keep their ids across the snapshots of one process, so the objects of the second that the first
 * lacks are the ones allocated since and still alive. Prints them grouped by constructor (count,
 * bytes), and for the largest groups the retainer chain of one of them: where they are held.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[]]; edge_fields: string[]; edge_types: [string[]] } };
  nodes: number[];
  edges: number[];
  strings: string[];
}

/** Nodes (type, name, id, self size) and reverse edges, for grouping and retainer chains. */
function load(file: string) {
  const s = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const nf = s.snapshot.meta.node_fields;
  const ef = s.snapshot.meta.edge_fields;
  const [N, E] = [nf.length, ef.length];
  const at = { type: nf.indexOf('type'), name: nf.indexOf('name'), id: nf.indexOf('id'), size: nf.indexOf('self_size'), edges: nf.indexOf('edge_count') };
  const eAt = { type: ef.indexOf('type'), name: ef.indexOf('name_or_index'), to: ef.indexOf('to_node') };
  const nodeTypes = s.snapshot.meta.node_types[0];
  const edgeTypes = s.snapshot.meta.edge_types[0];
  const count = s.nodes.length / N;
  const label = (i: number) => {
    const type = nodeTypes[s.nodes[i * N + at.type]];
    const name = s.strings[s.nodes[i * N + at.name]];
    return type === 'object' || type === 'native' ? name : `(${type})${type === 'closure' ? ' ' + name : ''}`;
  };
  // Each node's retainer on a shortest path from the GC roots (breadth first over strong edges): the chain DevTools shows first.
  const firstEdge = new Int32Array(count + 1);
  for (let i = 0; i < count; i++) firstEdge[i + 1] = firstEdge[i] + s.nodes[i * N + at.edges] * E;
  const retainer = new Int32Array(count).fill(-1);
  const retainerEdge: string[] = new Array(count);
  const queue = new Int32Array(count);
  const reached = new Uint8Array(count);
  reached[0] = 1;
  for (let head = 0, tail = 1; head < tail; head++) {
    const i = queue[head];
    for (let e = firstEdge[i]; e < firstEdge[i + 1]; e += E) {
      const type = edgeTypes[s.edges[e + eAt.type]];
      if (type === 'weak') continue;
      const to = s.edges[e + eAt.to] / N;
      if (reached[to]) continue;
      reached[to] = 1;
      queue[tail++] = to;
      retainer[to] = i;
      const nameOrIndex = s.edges[e + eAt.name];
      retainerEdge[to] = type === 'element' || type === 'hidden' ? `[${nameOrIndex}]` : String(s.strings[nameOrIndex]);
    }
  }
  return { count, label, id: (i: number) => s.nodes[i * N + at.id], size: (i: number) => s.nodes[i * N + at.size], retainer, retainerEdge };
}

const { values, positionals } = parseArgs({ allowPositionals: true, options: { top: { type: 'string', default: '25' }, chain: { type: 'string' } } });
if (positionals.length !== 2) throw new Error('usage: heap-diff.ts <before.heapsnapshot> <after.heapsnapshot> [--top N]');
const [before, after] = positionals.map(load);
const seen = new Set<number>();
for (let i = 0; i < before.count; i++) seen.add(before.id(i));
const groups = new Map<string, { count: number; bytes: number; sample: number }>();
let total = 0;
for (let i = 0; i < after.count; i++) {
  if (seen.has(after.id(i))) continue;
  const g = groups.get(after.label(i)) ?? { count: 0, bytes: 0, sample: i };
  g.count++;
  g.bytes += after.size(i);
  total += after.size(i);
  groups.set(after.label(i), g);
}
const top = [...groups].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, Number(values.top));
const chain = (i: number) => {
  const out: string[] = [];
  for (let k = 0, n = after.retainer[i]; k < 8 && n !== -1; k++, i = n, n = after.retainer[n]) out.push(`${after.retainerEdge[i]} ← ${after.label(n)}`);
  return out.join(' ← ');
};
// Each new object's first holder that was already there in the first snapshot: where growth is anchored.
const anchors = new Map<string, { count: number; bytes: number; path: string }>();
for (let i = 0; i < after.count; i++) {
  if (seen.has(after.id(i))) continue;
  const path: string[] = [];
  const visited = new Set<number>();
  let at = i;
  for (let n = after.retainer[at]; n !== -1 && !visited.has(n) && path.length < 40; at = n, n = after.retainer[n]) {
    visited.add(n);
    path.push(`${after.retainerEdge[at]} ← ${after.label(n)}`);
    if (seen.has(after.id(n))) break;
  }
  const key = path.slice(-2).join(' ← ');
  const a = anchors.get(key) ?? { count: 0, bytes: 0, path: path.slice(-6).join(' ← ') };
  a.count++;
  a.bytes += after.size(i);
  anchors.set(key, a);
}
console.log('new objects by the old object that holds them (the last steps of the chain):');
for (const [, a] of [...anchors].sort((x, y) => y[1].bytes - x[1].bytes).slice(0, 12)) console.log(`${(a.bytes / 1024).toFixed(0).padStart(8)} KB ${String(a.count).padStart(8)}  ${a.path.slice(0, 500)}`);
console.log(`objects new since the first snapshot and alive: ${[...groups.values()].reduce((a, g) => a + g.count, 0)}, ${(total / 2 ** 20).toFixed(2)} MB`);
for (const [name, g] of top) console.log(`${(g.bytes / 1024).toFixed(0).padStart(8)} KB ${String(g.count).padStart(8)}  ${name.slice(0, 60)}\n           held: ${chain(g.sample).slice(0, 400)}`);

// --chain NAME: the whole retainer chain (through old objects too) of a few new objects of that constructor.
if (values.chain) {
  let shown = 0;
  for (let i = 0; i < after.count && shown < 3; i++) {
    if (seen.has(after.id(i)) || after.label(i) !== values.chain) continue;
    shown++;
    const steps: string[] = [];
    const visited = new Set<number>();
    for (let at = i, n = after.retainer[at]; n !== -1 && !visited.has(n) && steps.length < 40; at = n, n = after.retainer[n]) {
      visited.add(n);
      steps.push(`${after.retainerEdge[at]} ← ${after.label(n)}${seen.has(after.id(n)) ? ' (old)' : ''}`);
    }
    console.log(`${values.chain} #${shown}: ${steps.join('\n    ← ')}`);
  }
}
