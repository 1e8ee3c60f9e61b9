/**
 * How long the edge's workerd threads waited for a CPU during the replay, from Linux's scheduler
 * statistics (/proc/<pid>/task/<tid>/schedstat: time on a CPU, time runnable but waiting on a run
 * queue). On a shared 2-core machine a template answer's few ms of work can be stretched by tens
 * of ms when workerd's thread is runnable and not running: this puts a number on that, beside the
 * latencies. Linux only; elsewhere (or without schedstat) it reports nothing.
 */
import { readdirSync, readFileSync } from 'node:fs';

export interface CpuTimes {
  /** ns on a CPU, summed over the threads. */
  runNs: number;
  /** ns runnable but waiting for a CPU, summed over the threads. */
  waitNs: number;
}

/** The processes under `root` (itself included), only those whose command name is `comm` when given. */
export function descendants(root: number, comm?: string): number[] {
  const parent = new Map<number, number>();
  const name = new Map<number, string>();
  for (const d of readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      name.set(Number(d), stat.slice(stat.indexOf('(') + 1, close));
      parent.set(Number(d), Number(stat.slice(close + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const under = (pid: number): boolean => {
    for (let p = pid, hops = 0; p > 1 && hops < 64; p = parent.get(p) ?? 0, hops++) if (p === root) return true;
    return false;
  };
  return [...name].filter(([pid, n]) => (comm === undefined || n === comm) && under(pid)).map(([pid]) => pid);
}

/** The processes under `root` (itself included) whose command name is `comm`. */
export const descendantsNamed = (root: number, comm: string): number[] => descendants(root, comm);

/** Run and run-queue wait times of every thread of `pids`, now; null where schedstat is unreadable. */
export function cpuTimes(pids: number[]): CpuTimes | null {
  let runNs = 0;
  let waitNs = 0;
  let read = 0;
  for (const pid of pids) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${pid}/task`);
    } catch {
      continue;
    }
    for (const tid of tids) {
      try {
        const [run, wait] = readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').trim().split(/\s+/).map(Number);
        runNs += run;
        waitNs += wait;
        read++;
      } catch {
        // thread ended
      }
    }
  }
  return read ? { runNs, waitNs } : null;
}

/** The change between two readings, in ms, and the wait per ms run. */
export function cpuWaitBetween(before: CpuTimes | null, after: CpuTimes | null) {
  if (!before || !after) return null;
  const runMs = (after.runNs - before.runNs) / 1e6;
  const waitMs = (after.waitNs - before.waitNs) / 1e6;
  return { runMs: Math.round(runMs), runQueueWaitMs: Math.round(waitMs), waitPerMsRun: runMs > 0 ? Number((waitMs / runMs).toFixed(3)) : null };
}
