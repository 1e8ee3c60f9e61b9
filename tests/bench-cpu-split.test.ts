/**
 * bench:traffic's `--split-cpus` (scripts/traffic/cpu-split.ts): the edge's workerd alone on CPU 0,
 * the bench's own process and its other children on the rest. Run in a child process, so this
 * test's worker keeps its CPUs; `sleep`s stand in for workerd and for a child of the bench.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('bench:traffic --split-cpus', () => {
  it('pins the edge to CPU 0 and the bench with its other children to the other CPUs', () => {
    const n = availableParallelism();
    expect(n).toBeGreaterThanOrEqual(2);
    const script = `
      import { spawn, execFileSync } from 'node:child_process';
      import { splitCpus } from ${JSON.stringify(join(root, 'scripts/traffic/cpu-split.ts'))};
      const edge = spawn('sleep', ['30'], { stdio: 'ignore' });
      const other = spawn('sleep', ['30'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      const split = splitCpus(edge.pid);
      const of = (pid) => execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' }).trim().split(': ').pop();
      console.log(JSON.stringify({ split, edge: of(edge.pid), other: of(other.pid), self: of(process.pid), otherMoved: split.restPids.includes(other.pid), edgeMoved: split.restPids.includes(edge.pid) }));
      edge.kill('SIGKILL');
      other.kill('SIGKILL');
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    const seen = JSON.parse(out.trim().split('\n').at(-1)!) as { split: { edge: string; rest: string }; edge: string; other: string; self: string; otherMoved: boolean; edgeMoved: boolean };
    const rest = n === 2 ? '1' : `1-${n - 1}`;
    expect(seen.split).toMatchObject({ edge: '0', rest });
    expect(seen.edge).toBe('0');
    expect(seen.edgeMoved).toBe(false);
    expect(seen.self).toBe(rest);
    expect(seen.other).toBe(rest);
    expect(seen.otherMoved).toBe(true);
    // This test's own worker was not moved.
    expect(execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' }).trim().split(': ').pop()).not.toBe(rest);
  });

  it('is refused under wrangler dev, and an unknown runner is refused, before any tier starts', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench-traffic.ts', ...args], { cwd: root, encoding: 'utf8', timeout: 30_000 });
    const split = run('--edge-runner', 'wrangler', '--split-cpus');
    expect(split.status).not.toBe(0);
    expect(split.stderr).toMatch(/--split-cpus needs --edge-runner workerd/);
    expect(split.stderr).not.toMatch(/region up/);
    const unknown = run('--edge-runner', 'miniflare');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/--edge-runner must be one of wrangler, workerd/);
  });
});
