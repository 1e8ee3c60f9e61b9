/**
 * A bench's edge at a higher CPU priority than everything else on the machine, without confining it
 * to any CPU: deployed, the edge's workerd has a machine of its own, and never waits for the CPU the
 * region's onnxruntime, the LLM stand-in, the shoppers' client or anybody else's jobs take here
 * (BENCHMARKS.md, "The edge first on the CPU"). Bench only; Linux; needs root (CAP_SYS_NICE).
 *
 * - `group`: the edge's workerd processes (every thread; threads made later inherit it) in a cgroup
 *   of their own (the v1 `cpu` controller) with cpu.shares 10 × a session's. This kernel groups each
 *   session's processes (sched_autogroup), and a nice value only ranks a thread among its own
 *   session's: another session's loop on the same CPU kept half of it from a thread at nice −10,
 *   where in a group of its own the same thread took 90 % (probed). A weight, not a limit: no
 *   quota, no CPU set, and an idle edge takes nothing from anyone.
 * - `nice`: every thread of the edge's workerd at nice −10: first against the bench's own processes
 *   (its session), but not against other people's jobs (theirs).
 * - `off`: as every figure before stop 24.
 * `group` is both benches' default (the same runs measured it against `off`: BENCHMARKS.md).
 * Refuses realtime scheduling on purpose (a runaway realtime thread could starve the machine), and
 * refuses `group` where no v1 cpu controller is mounted (so a run never reports as prioritized an
 * edge that was not).
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import { getPriority, setPriority } from 'node:os';
import { join } from 'node:path';

export const EDGE_PRIORITIES = ['group', 'nice', 'off'] as const;
export type EdgePriority = (typeof EDGE_PRIORITIES)[number];
/** Both benches' default (BENCHMARKS.md, "The edge first on the CPU", says why). */
export const DEFAULT_EDGE_PRIORITY: EdgePriority = 'group';
/** The edge group's cpu.shares: 10 × a session's (a nice-0 autogroup weighs 1024), nice −10's weight ratio. */
export const EDGE_GROUP_SHARES = 10_240;
/** The edge's threads' nice in `nice` mode. */
export const EDGE_NICE = -10;

/** `--edge-priority` / BENCH_EDGE_PRIORITY → a mode this machine can give, or a clear error. */
export function edgePriorityOf(value: string): EdgePriority {
  if (!(EDGE_PRIORITIES as readonly string[]).includes(value)) throw new Error(`the edge priority must be one of ${EDGE_PRIORITIES.join(', ')}, not ${JSON.stringify(value)}`);
  if (value === 'group' && !cpuCgroupRoot()) throw new Error('the edge priority group needs the cgroup v1 cpu controller (none is mounted here): use nice or off');
  return value as EdgePriority;
}

/** Where the v1 cpu controller is mounted (from /proc/mounts), if it is. */
export function cpuCgroupRoot(): string | undefined {
  for (const line of readFileSync('/proc/mounts', 'utf8').split('\n')) {
    const [, dir, type, opts] = line.split(' ');
    if (type === 'cgroup' && opts?.split(',').includes('cpu')) return dir;
  }
  return undefined;
}

/** The threads of `pid` (none once it is gone). */
export const threadsOf = (pid: number): number[] => {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
};

/** The v1 cpu cgroup a thread is in ("/" for the root), from /proc/<pid>/task/<tid>/cgroup. */
export function cpuCgroupOf(pid: number, tid = pid): string | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/task/${tid}/cgroup`, 'utf8')
      .split('\n')
      .find((l) => l.split(':')[1]?.split(',').includes('cpu'));
    return line?.split(':').slice(2).join(':');
  } catch {
    return undefined;
  }
}

export interface EdgePriorityHandle {
  mode: EdgePriority;
  /** The cgroup (`group`), as /proc/<pid>/cgroup names it. */
  group?: string;
  /** The edge's threads now, and how many of them have the priority (threads made since included). */
  threads(): { threads: number; prioritized: number };
  /** For the JSON: the mode, its setting, and the threads' count now. */
  describe(): Record<string, unknown>;
  /** Moves the edge back (if it still runs) and removes the group. */
  release(): void;
}

let made = 0;
/**
 * Gives `pids` (an edge's workerd processes) the priority `mode` says; `label` names the group
 * (a new one per call, `switchyard-<label>-<this pid>-<k>`).
 */
export function prioritizeEdge(pids: number[], mode: EdgePriority, label = 'edge'): EdgePriorityHandle {
  const tids = () => pids.flatMap((pid) => threadsOf(pid).map((tid) => [pid, tid] as const));
  if (mode === 'off') {
    return { mode, threads: () => ({ threads: tids().length, prioritized: 0 }), describe: () => ({ mode }), release: () => {} };
  }
  if (mode === 'nice') {
    for (const [, tid] of tids()) setPriority(tid, EDGE_NICE);
    const threads = () => {
      const all = tids();
      return { threads: all.length, prioritized: all.filter(([, tid]) => tryPriority(tid) === EDGE_NICE).length };
    };
    return { mode, threads, describe: () => ({ mode, nice: EDGE_NICE, ...threads() }), release: () => {} };
  }
  const root = cpuCgroupRoot();
  if (!root) throw new Error('the edge priority group needs the cgroup v1 cpu controller (none is mounted here): use nice or off');
  const name = `switchyard-${label}-${process.pid}-${made++}`;
  const dir = join(root, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'cpu.shares'), String(EDGE_GROUP_SHARES));
  // Writing a process to cgroup.procs moves every one of its threads.
  for (const pid of pids) writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  const group = `/${name}`;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    for (const pid of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean)) {
      try {
        writeFileSync(join(root, 'cgroup.procs'), pid);
      } catch {
        // ended meanwhile
      }
    }
    if (existsSync(dir)) rmdirSync(dir);
  };
  process.once('exit', release);
  const threads = () => {
    const all = tids();
    return { threads: all.length, prioritized: all.filter(([pid, tid]) => cpuCgroupOf(pid, tid) === group).length };
  };
  return { mode, group, threads, describe: () => ({ mode, group, cpuShares: EDGE_GROUP_SHARES, ...threads() }), release };
}

const tryPriority = (tid: number): number | undefined => {
  try {
    return getPriority(tid);
  } catch {
    return undefined;
  }
};
