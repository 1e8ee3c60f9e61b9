/**
 * Submitting a batch job and describing one: the input is an uploaded JSONL string (written to
 * the batch directory first) or a file under one of the allowed input roots (the batch directory
 * by default; never an arbitrary server path). Its rows, size and sha256 are recorded, so a
 * resume can refuse an input that changed underneath the job.
 */
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, realpath, rename, stat, writeFile } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { ApiError } from '../../../shared/api/errors.ts';
import type { BatchJobRecord, BatchTask, Store } from '../store/types.ts';
import { scanJsonl } from './jsonl-lines.ts';

export interface SubmitInput {
  task: BatchTask;
  /** Relative paths resolve against the batch directory. */
  inputPath?: string;
  input?: string;
  modelVersion: string;
  createdBy?: string | null;
}

export function newBatchId(): string {
  return `batch_${randomBytes(10).toString('hex')}`;
}

async function inside(roots: string[], path: string): Promise<boolean> {
  for (const r of roots) {
    const root = await realpath(r).catch(() => null);
    if (root && (path === root || path.startsWith(root + sep))) return true;
  }
  return false;
}

export async function submitBatchJob(store: Store, batchDir: string, inputRoots: string[], req: SubmitInput): Promise<BatchJobRecord> {
  await mkdir(batchDir, { recursive: true });
  const id = newBatchId();
  let inputPath: string;
  if (req.input !== undefined) {
    inputPath = join(batchDir, `${id}.input.jsonl`);
    const tmp = `${inputPath}.tmp`;
    await writeFile(tmp, req.input, 'utf8');
    await rename(tmp, inputPath);
  } else if (req.inputPath !== undefined) {
    const candidate = resolve(batchDir, req.inputPath);
    if (!existsSync(candidate)) throw new ApiError('INVALID_REQUEST', `inputPath: ${req.inputPath} does not exist`);
    inputPath = await realpath(candidate);
    if (!(await inside([batchDir, ...inputRoots], inputPath))) {
      throw new ApiError('FORBIDDEN', `inputPath: must be inside the batch directory${inputRoots.length ? ' or an allowed input root' : ''}`);
    }
    if (!(await stat(inputPath)).isFile()) throw new ApiError('INVALID_REQUEST', `inputPath: ${req.inputPath} is not a file`);
  } else {
    throw new ApiError('INVALID_REQUEST', 'give either input (a JSONL string) or inputPath');
  }
  const scan = await scanJsonl(inputPath);
  if (scan.rows === 0) throw new ApiError('INVALID_REQUEST', 'the input has no rows');
  return store.batchJobs.createBatchJob({
    id,
    task: req.task,
    modelVersion: req.modelVersion,
    inputPath,
    inputSha256: scan.sha256,
    inputBytes: scan.bytes,
    outputPath: join(batchDir, `${id}.output.jsonl`),
    totalRows: scan.rows,
    createdBy: req.createdBy ?? null,
  });
}

/** The public view of a job: status, progress, throughput of the current run and ETA. */
export function describeJob(j: BatchJobRecord, now = Date.now()) {
  const end = j.finishedAt?.getTime() ?? now;
  const elapsed = j.runStartedAt ? (end - j.runStartedAt.getTime()) / 1000 : 0;
  const runRows = j.rowsDone - j.rowsAtRunStart;
  const rowsPerSecond = elapsed > 0 && runRows > 0 ? runRows / elapsed : null;
  const remaining = j.totalRows - j.rowsDone;
  return {
    id: j.id,
    task: j.task,
    status: j.status,
    model: j.modelVersion,
    rows: { total: j.totalRows, done: j.rowsDone, errors: j.rowErrors },
    /** Rows already done when the current (or last) run started: > 0 for a resumed job. */
    resumedFrom: j.rowsAtRunStart,
    progress: j.totalRows ? j.rowsDone / j.totalRows : 1,
    rowsPerSecond,
    etaSeconds: j.status === 'running' || j.status === 'queued' ? (rowsPerSecond ? remaining / rowsPerSecond : null) : 0,
    error: j.errorCode ? { code: j.errorCode, message: j.error } : null,
    output: { path: j.outputPath, url: `/v1/batch/${j.id}/output`, bytes: j.outputBytes },
    createdAt: j.createdAt.toISOString(),
    runStartedAt: j.runStartedAt?.toISOString() ?? null,
    updatedAt: j.updatedAt.toISOString(),
    finishedAt: j.finishedAt?.toISOString() ?? null,
  };
}
