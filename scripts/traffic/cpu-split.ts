/**
 * `--split-cpus` (with `--edge-runner workerd` only): the Worker's workerd alone on CPU 0, and every
 * other process of the bench (this one: the region, the LLM and order stand-ins, the shoppers'
 * client; and its children) on the others. Deployed, the edge runs on Cloudflare's machines, the
 * region on its own hosts and the shoppers on their devices: none of them takes the edge's CPU.
 * Refuses `wrangler dev`: there the edge is three processes (wrangler's Node, its proxy workerd, the
 * Worker's workerd), and pinning all of them to one core made them queue behind each other
 * (BENCHMARKS.md, "End of stop 22"). Other programs on the machine are not moved. Linux only
 * (`taskset`, util-linux).
 */
import { execFileSync } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { descendants } from './cpu-wait.ts';

export interface CpuSplit {
  /** The CPU list the edge's workerd runs on. */
  edge: string;
  /** The CPU list of the rest of the bench. */
  rest: string;
  /** The bench's processes moved to `rest` (this one and its descendants, the edge's left out). */
  restPids: number[];
}

/** Pins every thread of `pid` (`taskset -a`; threads made later inherit the mask) to `cpus`. */
const pin = (pid: number, cpus: string) => execFileSync('taskset', ['-a', '-p', '-c', cpus, String(pid)], { stdio: 'ignore' });

/** Pins `edgePid` to CPU 0, and this process and its other descendants to CPUs 1…n−1. */
export function splitCpus(edgePid: number): CpuSplit {
  const n = availableParallelism();
  if (n < 2) throw new Error('--split-cpus needs at least 2 CPUs');
  const split = { edge: '0', rest: n === 2 ? '1' : `1-${n - 1}` };
  pin(edgePid, split.edge);
  const edgeTree = new Set(descendants(edgePid));
  const restPids = descendants(process.pid).filter((p) => !edgeTree.has(p));
  for (const pid of restPids) pin(pid, split.rest);
  return { ...split, restPids };
}
