/**
 * Runs batch jobs in the background of a regional process, one at a time, resumable after a
 * crash or restart with no duplicated or lost output rows.
 *
 * The output discipline: rows are processed in chunks; a chunk's output lines are appended to
 * the output file at the checkpointed length and fsync'ed, and only then is the checkpoint
 * (rows done, input byte offset of the next row, output length) committed in the database. On a
 * resume the output file is first truncated to the checkpointed length (dropping a chunk that was
 * written but not checkpointed, or half-written), then reading restarts at the checkpointed input
 * offset. Row i is therefore in the output exactly once, on its own line, whatever moment the
 * process died at.
 *
 * Jobs are leased (owner + expiry, renewed at every checkpoint and by a heartbeat): several
 * regional processes on one PostgreSQL share the work, and a job whose owner died is taken over
 * when its lease expires, or at once when the owner was a process of this host that no longer
 * exists.
 */
import { hostname } from 'node:os';
import { open, stat, type FileHandle } from 'node:fs/promises';
import { StoreError, type BatchCheckpoint, type BatchJobRecord, type Store } from '../store/types.ts';
import { modelVersionFor, runChunk, type BatchModels } from './batch-rows.ts';
import { readLines, scanJsonl } from './jsonl-lines.ts';

export interface BatchRunnerOptions {
  /** Lease length (ms); renewed at every checkpoint and every leaseMs/3. Default 30 s. */
  leaseMs?: number;
  /** How often to look for queued jobs or jobs whose owner died elsewhere. Default 5 s. */
  pollMs?: number;
  /** Rows per chunk (one fsync + one checkpoint each). Defaults per task: classify 256, embed 128, rerank 16. */
  chunkRows?: Partial<Record<BatchJobRecord['task'], number>>;
  /** Called with every chunk: rows, ms. */
  onChunk?: (task: BatchJobRecord['task'], rows: number, ms: number) => void;
  log?: (msg: string) => void;
}

const DEFAULT_CHUNK = { classify: 256, embed: 128, rerank: 16 } as const;

class JobFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** `host:pid:nonce`: a lease owner that tells whether it was a process of this host. */
export function newOwnerId(): string {
  return `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`;
}

/** True when `owner` was a process of this host that is gone (its lease need not be waited out). */
export function ownerIsDeadLocally(owner: string | null): boolean {
  if (!owner) return false;
  const [host, pidText] = owner.split(':');
  const pid = Number(pidText);
  if (host !== hostname() || !Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class BatchRunner {
  readonly owner = newOwnerId();
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private timer: ReturnType<typeof setInterval> | null = null;
  private draining: Promise<void> | null = null;
  private again = false;
  private stopping = false;

  constructor(
    private readonly store: Store,
    private readonly models: () => BatchModels,
    private readonly opts: BatchRunnerOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? 30_000;
    this.pollMs = opts.pollMs ?? 5_000;
  }

  /** Picks up queued and interrupted jobs now and every pollMs. */
  start(): void {
    if (this.timer || this.stopping) return;
    this.timer = setInterval(() => this.kick(), this.pollMs);
    this.timer.unref();
    this.kick();
  }

  /** Looks for work soon (after a submission). */
  kick(): void {
    if (this.stopping) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = null;
      if (this.again && !this.stopping) {
        this.again = false;
        this.kick();
      }
    });
  }

  /** Stops after the chunk in progress is checkpointed; the job resumes later (here or elsewhere). */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.draining;
  }

  /** Resolves when no job is running here (for tests and shutdown). */
  async idle(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    try {
      for (;;) {
        if (this.stopping) return;
        const jobs = (await this.store.batchJobs.listBatchJobs({ statuses: ['queued', 'running'], limit: 100 })).reverse();
        let ran = false;
        for (const j of jobs) {
          if (this.stopping) return;
          const leaseFree = !j.leaseOwner || j.leaseOwner === this.owner || (j.leaseUntil && j.leaseUntil.getTime() < Date.now());
          const dead = !leaseFree && ownerIsDeadLocally(j.leaseOwner);
          if (!leaseFree && !dead) continue;
          const claimed = await this.store.batchJobs.claimBatchJob(j.id, this.owner, this.leaseMs, dead ? j.leaseOwner : null);
          if (!claimed) continue;
          if (j.leaseOwner && j.leaseOwner !== this.owner) this.log(`batch ${j.id}: taking over from ${j.leaseOwner} at row ${claimed.rowsDone}`);
          await this.run(claimed);
          ran = true;
          break;
        }
        if (!ran) return;
      }
    } catch (e) {
      if (e instanceof StoreError && e.code === 'CLOSED') {
        this.stopping = true;
        if (this.timer) clearInterval(this.timer);
        return;
      }
      this.log(`batch runner: ${(e as Error).message}`);
    }
  }

  private log(m: string): void {
    (this.opts.log ?? console.log)(m);
  }

  private async run(job: BatchJobRecord): Promise<void> {
    const jobs = this.store.batchJobs;
    let out: FileHandle | null = null;
    let heartbeat: ReturnType<typeof setInterval> | null = null;
    // Checkpoints and lease renewals go to the database one at a time, in order.
    let writes: Promise<unknown> = Promise.resolve();
    const serial = <T>(fn: () => Promise<T>): Promise<T> => {
      const p = writes.then(fn);
      writes = p.catch(() => undefined);
      return p;
    };
    let cp: BatchCheckpoint = { rowsDone: job.rowsDone, inputOffset: job.inputOffset, outputBytes: job.outputBytes, rowErrors: job.rowErrors };
    let lost = false;
    try {
      const models = this.models();
      const version = modelVersionFor(job.task, models);
      if (!version) throw new JobFailure('MODEL_UNAVAILABLE', `no ${job.task} model is loaded`);
      if (version !== job.modelVersion) {
        throw new JobFailure('MODEL_CHANGED', `the job started on ${job.modelVersion} but ${version} is loaded now; resubmit it to run on the new version`);
      }
      const scanned = await scanJsonl(job.inputPath).catch((e) => {
        throw new JobFailure('INPUT_UNAVAILABLE', `cannot read the input: ${(e as Error).message}`);
      });
      if (scanned.sha256 !== job.inputSha256 || scanned.bytes !== job.inputBytes) {
        throw new JobFailure('INPUT_CHANGED', 'the input file changed since the job was submitted');
      }
      out = await open(job.outputPath, job.outputBytes === 0 ? 'w' : 'r+').catch((e) => {
        throw new JobFailure('OUTPUT_UNAVAILABLE', `cannot open the output: ${(e as Error).message}`);
      });
      const size = (await stat(job.outputPath)).size;
      if (size < job.outputBytes) throw new JobFailure('OUTPUT_LOST', `the output file has ${size} bytes but ${job.outputBytes} were checkpointed`);
      // Drop whatever was written past the last checkpoint (a chunk that was not committed).
      await out.truncate(job.outputBytes);

      heartbeat = setInterval(() => {
        void serial(() => jobs.checkpointBatchJob(job.id, this.owner, cp, this.leaseMs)).then(
          (ok) => (lost ||= !ok),
          () => {},
        );
      }, Math.max(250, Math.floor(this.leaseMs / 3)));
      heartbeat.unref();

      const chunkRows = this.opts.chunkRows?.[job.task] ?? DEFAULT_CHUNK[job.task];
      let rows: string[] = [];
      let chunkEnd = cp.inputOffset;
      const flush = async () => {
        const t0 = performance.now();
        const { text, errors } = await runChunk(job.task, models, rows, cp.rowsDone);
        const bytes = Buffer.from(text, 'utf8');
        await out!.write(bytes, 0, bytes.byteLength, cp.outputBytes);
        await out!.datasync();
        const next: BatchCheckpoint = { rowsDone: cp.rowsDone + rows.length, inputOffset: chunkEnd, outputBytes: cp.outputBytes + bytes.byteLength, rowErrors: cp.rowErrors + errors };
        const ok = await serial(() => jobs.checkpointBatchJob(job.id, this.owner, next, this.leaseMs));
        if (!ok) lost = true;
        else cp = next;
        this.opts.onChunk?.(job.task, rows.length, performance.now() - t0);
        rows = [];
      };
      for await (const l of readLines(job.inputPath, cp.inputOffset)) {
        rows.push(l.text);
        chunkEnd = l.end;
        if (rows.length >= chunkRows) {
          await flush();
          if (lost || this.stopping) break;
        }
      }
      if (!lost && !this.stopping && rows.length) await flush();
      if (lost || this.stopping) return;
      if (cp.rowsDone !== job.totalRows) throw new JobFailure('ROW_COUNT_MISMATCH', `wrote ${cp.rowsDone} rows of ${job.totalRows}`);
      if (heartbeat) clearInterval(heartbeat);
      await writes;
      await jobs.finishBatchJob(job.id, this.owner, { status: 'succeeded' });
      this.log(`batch ${job.id}: ${job.task} done, ${cp.rowsDone} rows (${cp.rowErrors} with errors)`);
    } catch (e) {
      if (e instanceof StoreError && e.code === 'CLOSED') throw e;
      const code = e instanceof JobFailure ? e.code : 'INTERNAL';
      this.log(`batch ${job.id} failed (${code}): ${(e as Error).message}`);
      await writes;
      await jobs.finishBatchJob(job.id, this.owner, { status: 'failed', errorCode: code, error: String((e as Error).message).slice(0, 2000) }).catch(() => false);
    } finally {
      if (heartbeat) clearInterval(heartbeat);
      await out?.close().catch(() => {});
    }
  }
}
