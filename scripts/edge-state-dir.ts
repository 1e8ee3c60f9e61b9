/**
 * Where a local edge keeps its state (wrangler dev's `--persist-to`, plain workerd's
 * `durableObjectStorage = (localDisk = ...)`): the session Durable Objects' SQLite files and the
 * cache's D1. Locally workerd creates and commits those files on the Worker's own thread, and each
 * commit waits for its fsyncs there; deployed, an object's storage commits on its own host (its
 * output gate confirms it) and D1 writes on D1's primary, neither on the Worker's thread.
 *
 * `tmpfs` (a fresh dir under /dev/shm, the default): SQLite still does all of its work on the
 * Worker's thread (creating the file, journaling, each commit's fsync call), only the wait for the
 * disk is gone (fsync on a tmpfs returns at once). That is closer to deployed than a local disk: the
 * one cost it drops is a wait that deployed is not on the Worker's thread at all, and it keeps one
 * that deployed is not there either (SQLite's own CPU), so it still errs on the slow side. Probed
 * (BENCHMARKS.md "Edge state on tmpfs"): a follow-up sent at once holds ~5.6 fsync calls either way,
 * 0.15 ms of them on tmpfs against 6.2 ms (p90 19.9) on this machine's disk. `disk`: a dir under the
 * OS temp dir, as every bench measured before; kept as a flag and as reported rows. BENCH_EDGE_STATE
 * picks: `tmpfs` (default), `disk`, or `both` (each edge twice, `<name>_disk` the second,
 * alternated: the same run says what the disk's waits cost).
 * Refuses a tmpfs dir that is not on a tmpfs (so a run never reports disk figures as tmpfs ones).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type EdgeStateKind = 'tmpfs' | 'disk';

/** The tmpfs the state goes to (SWITCHYARD_TMPFS_DIR, default /dev/shm). */
const tmpfsDir = () => process.env.SWITCHYARD_TMPFS_DIR ?? '/dev/shm';

/** BENCH_EDGE_STATE=tmpfs|disk|both → the kinds to start each edge with, the first one the main. */
export function edgeStateKinds(value = process.env.BENCH_EDGE_STATE ?? 'tmpfs'): EdgeStateKind[] {
  if (value === 'tmpfs' || value === 'disk') return [value];
  if (value === 'both') return ['tmpfs', 'disk'];
  throw new Error(`BENCH_EDGE_STATE must be tmpfs, disk or both, not ${JSON.stringify(value)}`);
}

/** The file system type the longest mount point containing `path` has (from /proc/mounts). */
export function fsTypeOf(path: string): string | undefined {
  const mounts = readFileSync('/proc/mounts', 'utf8')
    .split('\n')
    .map((l) => l.split(' '))
    .filter((f) => f.length > 2 && (path === f[1] || path.startsWith(f[1].endsWith('/') ? f[1] : `${f[1]}/`)));
  return mounts.sort((a, b) => b[1].length - a[1].length)[0]?.[2];
}

const made: string[] = [];
/**
 * A new, empty state dir of that kind (`prefix`: its name's start), removed when this process
 * exits (a tmpfs holds memory until its files go).
 */
export function edgeStateDir(kind: EdgeStateKind, prefix = 'sy-edge-state-'): string {
  const base = kind === 'tmpfs' ? tmpfsDir() : tmpdir();
  const type = fsTypeOf(base);
  if (kind === 'tmpfs' && type !== 'tmpfs') throw new Error(`${base} is not a tmpfs (${type}): set SWITCHYARD_TMPFS_DIR, or BENCH_EDGE_STATE=disk`);
  if (made.length === 0) process.once('exit', () => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dir = mkdtempSync(join(base, prefix));
  made.push(dir);
  return dir;
}
