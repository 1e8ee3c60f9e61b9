/**
 * `npx tsx scripts/soak/alloc-sites.ts <profile> [<source map>] [--under REGEX]`: what the edge
 * isolate allocates, read from the soak's sampling heap profile (`--edge-alloc-profile FILE`; the
 * bundle's source map is written beside it as FILE.map). Prints the share of sampled bytes by
 * source file, by function and line, and by the nearest frame of the product's own code (edge/,
 * shared/) on the stack, so a builtin's allocation (a string split, a promise) counts against the
 * product code that called it. `--under REGEX`: only what functions matching it (and their
 * callees) allocate, by site. Collected objects count too: this is allocation, not what is kept.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { SourceMapConsumer } from 'source-map-js';
import type { SamplingProfile } from './isolate.ts';

const { positionals, values } = parseArgs({ allowPositionals: true, options: { under: { type: 'string' }, top: { type: 'string', default: '25' } } });
const profile = JSON.parse(readFileSync(positionals[0], 'utf8')) as SamplingProfile;
const map = new SourceMapConsumer(JSON.parse(readFileSync(positionals[1] ?? `${positionals[0]}.map`, 'utf8')));
type Node = SamplingProfile['head'];
const site = (c: Node['callFrame']) => {
  const name = c.functionName || '(anonymous)';
  if (!c.url.endsWith('.js')) return `${name} [native]`;
  const p = map.originalPositionFor({ line: c.lineNumber + 1, column: c.columnNumber });
  return `${name} ${p.source?.replace(/^.*?\b(edge|shared|node_modules)\//, '$1/') ?? c.url}:${p.line ?? c.lineNumber + 1}`;
};
const own = (s: string) => / (edge|shared)\//.test(s);
const byFile = new Map<string, number>();
const bySite = new Map<string, number>();
const byOwnFrame = new Map<string, number>();
const under = values.under ? new RegExp(values.under) : undefined;
let all = 0;
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
const walk = (n: Node, stack: string[], inside: boolean) => {
  const s = site(n.callFrame);
  const now = inside || (under?.test(s) ?? true);
  all += n.selfSize;
  if (now) {
    add(bySite, s, n.selfSize);
    add(byFile, s.includes(' [native]') ? '[native]' : s.slice(s.indexOf(' ') + 1).replace(/:\d+$/, ''), n.selfSize);
    add(byOwnFrame, own(s) ? s : ([...stack].reverse().find(own) ?? '(no product frame)'), n.selfSize);
  }
  for (const c of n.children) walk(c, [...stack, s], now);
};
walk(profile.head, [], false);
const show = (title: string, m: Map<string, number>) => {
  console.log(`--- ${title}`);
  for (const [k, v] of [...m].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top))) console.log(`${((v / all) * 100).toFixed(1).padStart(5)} %  ${k}`);
};
console.log(`sampled: ${(all / 2 ** 20).toFixed(1)} MB`);
show('by source file', byFile);
show('by function and line', bySite);
show('by nearest product frame', byOwnFrame);
