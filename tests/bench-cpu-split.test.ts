/**
 * bench:traffic's `--split-cpus`: the edge's whole process tree on CPU 0, the bench's own process
 * (region, stand-ins, client) on the others. Run in a child process, so this test's worker keeps
 * its CPUs.
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..');

describe('bench:traffic --split-cpus', () => {
  it('pins a process tree (child and grandchild) to CPU 0 and the caller to the other CPUs', () => {
    const n = availableParallelism();
    expect(n).toBeGreaterThanOrEqual(2);
    // A parent with a child of its own stands in for wrangler and its workerd.
    const script = `
      import { spawn, execFileSync } from 'node:child_process';
      import { splitCpus } from ${JSON.stringify(join(root, 'scripts/traffic/cpu-split.ts'))};
      const tree = spawn('sh', ['-c', 'sleep 30 & wait'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 300));
      const split = splitCpus(tree.pid);
      const of = (pid) => execFileSync('taskset', ['-c', '-p', String(pid)], { encoding: 'utf8' }).trim().split(': ').pop();
      console.log(JSON.stringify({ split, edge: split.edgePids.map(of), self: of(process.pid) }));
      tree.kill('SIGKILL');
    `;
    const out = execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { cwd: root, encoding: 'utf8', timeout: 20_000 });
    const seen = JSON.parse(out.trim()) as { split: { edge: string; rest: string; edgePids: number[] }; edge: string[]; self: string };
    expect(seen.split.edgePids).toHaveLength(2); // sh and its sleep
    expect(seen.edge).toEqual(['0', '0']);
    expect(seen.self).toBe(n === 2 ? '1' : `1-${n - 1}`);
    expect(execFileSync('taskset', ['-c', '-p', String(process.pid)], { encoding: 'utf8' })).not.toMatch(/: 1\s*$/); // this worker was not moved
  });
});
