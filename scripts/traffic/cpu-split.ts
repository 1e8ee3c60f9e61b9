/**
 * `--split-cpus`: the edge's processes (wrangler and its workerd, every thread) on CPU 0, and this
 * process (the region, the LLM and order stand-ins, the shoppers' client) on the others. Deployed,
 * the edge runs on Cloudflare's machines, the region on its own hosts and the shoppers on their
 * devices: none of them takes the edge's CPU. On one shared 2-core machine they all do, and a
 * template answer's 0.2–0.6 ms of work is stretched to 5–60 ms whenever the scheduler runs the
 * region or the client on the edge's core mid-answer (BENCHMARKS.md, "Per-message cost"). This
 * keeps the bench's own parts off the edge's core; other programs on the machine are not moved.
 * Linux only (`taskset`, util-linux).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { descendants } from './cpu-wait.ts';

export interface CpuSplit {
  edge: string;
  rest: string;
  /** The edge's processes pinned (wrangler, workerd). */
  edgePids: number[];
}

const pin = (pid: number, cpus: string) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });

/** Pins the process tree under `edgeRoot` to CPU 0 and this process to CPUs 1…n−1. */
export function splitCpus(edgeRoot: number): CpuSplit {
  const n = availableParallelism();
  if (n < 2) throw new Error('--split-cpus needs at least 2 CPUs');
  const split = { edge: '0', rest: n === 2 ? '1' : `1-${n - 1}` };
  pin(process.pid, split.rest);
  const edgePids = descendants(edgeRoot);
  for (const pid of edgePids) pin(pid, split.edge);
  return { ...split, edgePids };
}
