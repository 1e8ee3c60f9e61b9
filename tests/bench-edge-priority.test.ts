/**
 * The benches' edge priority (scripts/edge-priority.ts; bench:traffic's `--edge-priority`,
 * bench:services' BENCH_EDGE_PRIORITY): every thread of the edge's workerd gets it, threads it
 * makes later too, and nothing else does. Run in a child process, so this test's worker is never
 * touched; a Node process that starts a worker thread a while after the priority is given stands
 * in for workerd (many threads, one made later), and a `sleep` for another child of the bench.
 * Needs root (cgroups, a negative nice), as the benches do.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuCgroupOf } from '../scripts/edge-priority.ts';

const root = join(import.meta.dirname, '..');

interface Seen {
  given: { threads: number; prioritized: number };
  later: { threads: number; prioritized: number };
  group?: string;
  shares?: string;
  quota?: string;
  other: { cgroup?: string; nice: number };
  self: { cgroup?: string; nice: number };
  groupLeft: boolean;
}

function run(mode: 'group' | 'nice'): Seen {
  const script = `
    import { spawn } from 'node:child_process';
    import { existsSync, readFileSync } from 'node:fs';
    import { getPriority } from 'node:os';
    import { join } from 'node:path';
    import { cpuCgroupOf, cpuCgroupRoot, prioritizeEdge } from ${JSON.stringify(join(root, 'scripts/edge-priority.ts'))};
    const edge = spawn(process.execPath, ['-e', "setTimeout(() => new (require('node:worker_threads').Worker)('setInterval(() => {}, 1000)', { eval: true }), 1500); setInterval(() => {}, 1000)"], { stdio: 'ignore' });
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 500));
    const h = prioritizeEdge([edge.pid], ${JSON.stringify(mode)}, 'test');
    const given = h.threads();
    await new Promise((r) => setTimeout(r, 2500));
    const later = h.threads();
    const dir = h.group ? join(cpuCgroupRoot(), h.group) : undefined;
    const seen = {
      given, later, group: h.group,
      shares: dir && readFileSync(join(dir, 'cpu.shares'), 'utf8').trim(),
      quota: dir && readFileSync(join(dir, 'cpu.cfs_quota_us'), 'utf8').trim(),
      other: { cgroup: cpuCgroupOf(other.pid), nice: getPriority(other.pid) },
      self: { cgroup: cpuCgroupOf(process.pid), nice: getPriority(process.pid) },
    };
    edge.kill('SIGKILL');
    other.kill('SIGKILL');
    await new Promise((r) => edge.once('exit', r));
    h.release();
    console.log(JSON.stringify({ ...seen, groupLeft: dir ? existsSync(dir) : false }));
  `;
  const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 30_000 });
  return JSON.parse(out.trim().split('\n').at(-1)!) as Seen;
}

describe('the benches\' edge priority', () => {
  it('group: every thread of the edge in a cpu cgroup of its own, at 10 × the weight and no quota; threads made later too; nothing else moved', () => {
    const mine = { cgroup: cpuCgroupOf(process.pid), nice: getPriority(process.pid) };
    const seen = run('group');
    expect(seen.group).toMatch(/^\/switchyard-test-\d+-0$/);
    expect(seen.given.threads).toBeGreaterThan(1);
    expect(seen.given.prioritized).toBe(seen.given.threads);
    expect(seen.later.threads).toBeGreaterThan(seen.given.threads);
    expect(seen.later.prioritized).toBe(seen.later.threads);
    expect(seen.shares).toBe('10240');
    expect(seen.quota).toBe('-1');
    expect(seen.other.cgroup).not.toBe(seen.group);
    expect(seen.self.cgroup).not.toBe(seen.group);
    expect(seen.groupLeft).toBe(false);
    // This test's own worker was not moved.
    expect(cpuCgroupOf(process.pid)).toBe(mine.cgroup);
    expect(getPriority(process.pid)).toBe(mine.nice);
  });

  it('nice: every thread of the edge at nice −10, threads made later too; the bench and its other children keep theirs', () => {
    const mine = getPriority(process.pid);
    const seen = run('nice');
    expect(seen.given.threads).toBeGreaterThan(1);
    expect(seen.given.prioritized).toBe(seen.given.threads);
    expect(seen.later.threads).toBeGreaterThan(seen.given.threads);
    expect(seen.later.prioritized).toBe(seen.later.threads);
    expect(seen.other.nice).toBe(mine);
    expect(seen.self.nice).toBe(mine);
    expect(getPriority(process.pid)).toBe(mine);
  });

  it('an unknown priority is refused by both benches before any tier starts', () => {
    const bench = (file: string, args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', file, ...args], { cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } });
    const traffic = bench('scripts/bench-traffic.ts', ['--edge-priority', 'realtime']);
    expect(traffic.status).not.toBe(0);
    expect(traffic.stderr).toMatch(/the edge priority must be one of group, nice, off, not "realtime"/);
    expect(traffic.stderr).not.toMatch(/region up/);
    const services = bench('scripts/bench-services.ts', [], { BENCH_EDGE_PRIORITY: 'realtime', BENCH_PARTS: 'edge', BENCH_N: '1' });
    expect(services.status).not.toBe(0);
    expect(services.stderr).toMatch(/the edge priority must be one of group, nice, off, not "realtime"/);
  });
});
