/**
 * Batch inference: the job table on SQLite and PostgreSQL (leases, checkpoints, cancel), the
 * runner resuming from a checkpoint with an uncommitted tail in the output file, row errors, and
 * the real thing: the regional service in a child process, SIGKILLed mid-job and restarted, with
 * every row in the output exactly once.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { loadIntentClassifier } from '../regional/src/inference/load-node.ts';
import type { BatchModels } from '../regional/src/ops/batch-rows.ts';
import { BatchRunner, newOwnerId, ownerIsDeadLocally } from '../regional/src/ops/batch-runner.ts';
import { describeJob, submitBatchJob } from '../regional/src/ops/batch-submit.ts';
import { readLines, scanJsonl } from '../regional/src/ops/jsonl-lines.ts';
import { DynamicBatcher } from '../regional/src/inference/batcher.ts';
import { openStore } from '../regional/src/store/open.ts';
import { PG_EMBEDDING_DIMENSIONS } from '../regional/src/store/schema.pg.ts';
import type { Store } from '../regional/src/store/types.ts';
import type { IntentPrediction } from '../shared/models/intent-classifier.ts';
import { tempDatabase, type TempDatabase } from './helpers/temp-database.ts';
import { startRegionProcess, type RegionProcess } from '../scripts/region-process.ts';

const ROOT = resolve(import.meta.dirname, '..');
const OPTS = { dimensions: PG_EMBEDDING_DIMENSIONS, embeddingVersion: 'test', domain: 'test' };
const TEXTS = readFileSync(join(ROOT, 'domains/kitsune-books/intents/test.jsonl'), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l).text as string);

function jsonl(n: number, row: (i: number) => unknown = (i) => ({ id: `r${i}`, text: TEXTS[i % TEXTS.length] })): string {
  let s = '';
  for (let i = 0; i < n; i++) s += JSON.stringify(row(i)) + '\n';
  return s;
}

/** Every output line parsed, checked to hold indexes 0..n-1 exactly once each, in order. */
function readOutput(path: string, n: number): Record<string, any>[] {
  const lines = readFileSync(path, 'utf8').split('\n');
  expect(lines.pop()).toBe(''); // ends with a newline, no partial line
  const rows = lines.map((l) => JSON.parse(l));
  expect(rows.length).toBe(n);
  expect(rows.flatMap((r, i) => (r.index === i ? [] : [`line ${i} holds row ${r.index}`])).slice(0, 5)).toEqual([]);
  return rows;
}

async function waitFor<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs: number, what: string): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('JSONL line reader', () => {
  it('skips blank lines, handles CRLF and a last line without newline, and resumes at an offset', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sy-lines-'));
    const p = join(dir, 'in.jsonl');
    writeFileSync(p, '"a"\r\n\n  \n"b é"\n"c"');
    const all = [];
    for await (const l of readLines(p)) all.push(l);
    expect(all.map((l) => l.text)).toEqual(['"a"', '"b é"', '"c"']);
    const rest = [];
    for await (const l of readLines(p, all[0].end)) rest.push(l.text);
    expect(rest).toEqual(['"b é"', '"c"']);
    expect(all.at(-1)!.end).toBe(Buffer.byteLength('"a"\r\n\n  \n"b é"\n"c"'));
    expect(await scanJsonl(p)).toMatchObject({ rows: 3, bytes: all.at(-1)!.end });
    rmSync(dir, { recursive: true });
  });
});

let classifierModels: BatchModels;
beforeAll(async () => {
  const clf = await loadIntentClassifier(join(ROOT, 'models/default/store-intent'));
  const b = new DynamicBatcher<string, IntentPrediction>((t) => clf.classify(t), { name: 'classifier', maxSize: 32, maxDelayMs: 5 });
  classifierModels = {
    classify: (t) => b.run(t),
    classifierVersion: `${clf.manifest.name}@${clf.manifest.version}`,
    embed: async (texts) => texts.map((t) => Float32Array.from([t.length, 1])),
    embedderVersion: 'fake-embedder@1',
    rerank: async (q, docs) => Float32Array.from(docs.map((d) => (d.includes(q) ? 1 : 0))),
    rerankerVersion: 'fake-reranker@1',
  };
});

describe.each(['sqlite', 'postgres'] as const)('batch jobs on %s', (dialect) => {
  let db: TempDatabase;
  let dir: string;
  let store: Store;

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-batch-', 'b.db');
    dir = db.dir;
    store = await openStore(db.url, OPTS);
  }, 60_000);
  afterAll(async () => {
    await store?.close();
    await db?.cleanup();
  });

  const submit = (input: string, task: 'classify' | 'embed' | 'rerank' = 'classify', modelVersion = classifierModels.classifierVersion!) =>
    submitBatchJob(store, join(dir, 'batch'), [], { task, input, modelVersion, createdBy: 'test' });

  it('leases jobs with compare-and-set, checkpoints only under the lease, and cancels', async () => {
    const jobs = store.batchJobs;
    const job = await submit(jsonl(10));
    expect(job).toMatchObject({ status: 'queued', totalRows: 10, rowsDone: 0, leaseOwner: null });
    const a = await jobs.claimBatchJob(job.id, 'host:1:a', 60_000);
    expect(a).toMatchObject({ status: 'running', leaseOwner: 'host:1:a', rowsAtRunStart: 0 });
    expect(await jobs.claimBatchJob(job.id, 'host:2:b', 60_000)).toBeNull(); // held
    expect(await jobs.checkpointBatchJob(job.id, 'host:2:b', { rowsDone: 5, inputOffset: 1, outputBytes: 1, rowErrors: 0 }, 60_000)).toBe(false);
    expect(await jobs.checkpointBatchJob(job.id, 'host:1:a', { rowsDone: 5, inputOffset: 100, outputBytes: 200, rowErrors: 1 }, 60_000)).toBe(true);
    // b knows a is dead: takes over; a's later checkpoints are refused
    const b = await jobs.claimBatchJob(job.id, 'host:2:b', 60_000, 'host:1:a');
    expect(b).toMatchObject({ leaseOwner: 'host:2:b', rowsDone: 5, rowsAtRunStart: 5, inputOffset: 100, outputBytes: 200, rowErrors: 1 });
    expect(await jobs.checkpointBatchJob(job.id, 'host:1:a', { rowsDone: 6, inputOffset: 1, outputBytes: 1, rowErrors: 0 }, 60_000)).toBe(false);
    // an expired lease is free for anyone
    expect(await jobs.checkpointBatchJob(job.id, 'host:2:b', { rowsDone: 6, inputOffset: 120, outputBytes: 240, rowErrors: 1 }, 1)).toBe(true);
    await new Promise((r) => setTimeout(r, 10));
    expect(await jobs.claimBatchJob(job.id, 'host:3:c', 60_000)).toMatchObject({ leaseOwner: 'host:3:c', rowsDone: 6 });
    expect(await jobs.cancelBatchJob(job.id)).toBe(true);
    expect(await jobs.checkpointBatchJob(job.id, 'host:3:c', { rowsDone: 7, inputOffset: 1, outputBytes: 1, rowErrors: 0 }, 60_000)).toBe(false);
    expect(await jobs.finishBatchJob(job.id, 'host:3:c', { status: 'succeeded' })).toBe(false);
    expect(await jobs.cancelBatchJob(job.id)).toBe(false);
    expect((await jobs.getBatchJob(job.id))?.status).toBe('canceled');
    expect((await jobs.listBatchJobs({ statuses: ['canceled'] })).map((j) => j.id)).toContain(job.id);
    await expect(jobs.checkpointBatchJob(job.id, 'x', { rowsDone: -1, inputOffset: 0, outputBytes: 0, rowErrors: 0 }, 1)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });

  it('resumes from the checkpoint, dropping output written past it, with every row exactly once', async () => {
    const n = 2000;
    const job = await submit(jsonl(n));
    // First run: stopped after three chunks (a clean stop leaves a consistent checkpoint).
    let chunks = 0;
    const first: BatchRunner = new BatchRunner(store, () => classifierModels, {
      chunkRows: { classify: 100 },
      log: () => {},
      onChunk: () => {
        if (++chunks === 3) void first.stop();
      },
    });
    first.start();
    await waitFor(async () => chunks >= 3 && (await first.idle(), true), 30_000, 'three chunks');
    const mid = (await store.batchJobs.getBatchJob(job.id))!;
    expect(mid).toMatchObject({ status: 'running', rowsDone: 300 });
    // Simulate a crash after the next chunk was written but before its checkpoint: a complete
    // line for row 300 and half of row 301 past the checkpointed length.
    appendFileSync(mid.outputPath, '{"index":300,"id":"r300","intent":"oos","confidence":0.1,"confident":false}\n{"index":301,"in');
    // The first owner "died" (same process, so release the lease the way a takeover would).
    const second = new BatchRunner(store, () => classifierModels, { chunkRows: { classify: 128 }, log: () => {} });
    expect(await store.batchJobs.claimBatchJob(job.id, second.owner, 30_000, first.owner)).not.toBeNull();
    second.start();
    const done = await waitFor(async () => {
      const j = await store.batchJobs.getBatchJob(job.id);
      return j?.status === 'succeeded' ? j : null;
    }, 30_000, 'the job to finish');
    await second.stop();
    expect(done).toMatchObject({ rowsDone: n, rowErrors: 0, rowsAtRunStart: 300 });
    const rows = readOutput(done.outputPath, n);
    rows.forEach((r, i) => expect(r.id).toBe(`r${i}`));
    // results are the classifier's, for the right text
    const direct = await classifierModels.classify!(TEXTS[300 % TEXTS.length]);
    expect(rows[300].intent).toBe(direct.intent);
    expect(rows[300].confidence).toBeCloseTo(direct.confidence, 6); // batch composition moves the last float bits
    const d = describeJob(done);
    expect(d).toMatchObject({ status: 'succeeded', progress: 1, etaSeconds: 0, rows: { total: n, done: n, errors: 0 } });
    expect(d.rowsPerSecond).toBeGreaterThan(0);
  });

  it('writes an error line for a bad row and keeps going; embeds and reranks', async () => {
    const runner = new BatchRunner(store, () => classifierModels, { log: () => {} });
    const input = ['{"text":"where is my order","id":1}', 'not json', '{"id":"x"}', '"do you ship to alaska"', '{"text":""}'].join('\n');
    const c = await submit(input);
    const e = await submit('{"text":"abc"}\n"hello"\n', 'embed', 'fake-embedder@1');
    const r = await submit(JSON.stringify({ query: 'ship', documents: ['we ship', { text: 'no' }] }) + '\n{"query":"x"}\n', 'rerank', 'fake-reranker@1');
    runner.start();
    const finished = async (id: string) => waitFor(async () => {
      const j = await store.batchJobs.getBatchJob(id);
      return j && j.status !== 'queued' && j.status !== 'running' ? j : null;
    }, 30_000, `job ${id}`);
    const [cj, ej, rj] = [await finished(c.id), await finished(e.id), await finished(r.id)];
    await runner.stop();
    expect(cj).toMatchObject({ status: 'succeeded', rowsDone: 5, rowErrors: 3 });
    const cr = readOutput(cj.outputPath, 5);
    expect(cr[0]).toMatchObject({ id: 1, intent: 'order_status' });
    expect(cr[1].error).toMatchObject({ code: 'INVALID_ROW' });
    expect(cr[2]).toMatchObject({ id: 'x', error: { code: 'INVALID_ROW', message: expect.stringMatching(/text/) } });
    expect(cr[3].intent).toBe('shipping_info');
    expect(cr[4].error.code).toBe('INVALID_ROW');
    expect(readOutput(ej.outputPath, 2).map((x) => x.embedding)).toEqual([[3, 1], [5, 1]]);
    const rr = readOutput(rj.outputPath, 2);
    expect(rr[0].scores).toEqual([1, 0]);
    expect(rr[1].error.code).toBe('INVALID_ROW');
  });

  it('fails a job clearly when the model version or the input changed since it was submitted', async () => {
    const runner = new BatchRunner(store, () => classifierModels, { log: () => {} });
    const stale = await submit(jsonl(3), 'classify', 'switchyard-store-intent@0.9.0');
    const changed = await submit(jsonl(3));
    writeFileSync(changed.inputPath, jsonl(4));
    runner.start();
    const end = (id: string) => waitFor(async () => {
      const j = await store.batchJobs.getBatchJob(id);
      return j?.status === 'failed' ? j : null;
    }, 30_000, `job ${id} to fail`);
    expect(await end(stale.id)).toMatchObject({ errorCode: 'MODEL_CHANGED' });
    expect(await end(changed.id)).toMatchObject({ errorCode: 'INPUT_CHANGED' });
    await runner.stop();
    await expect(submit('\n\n')).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    await expect(submitBatchJob(store, join(dir, 'batch'), [], { task: 'classify', inputPath: '/etc/hostname', modelVersion: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    writeFileSync(join(dir, 'outside.jsonl'), '"x"\n');
    await expect(submitBatchJob(store, join(dir, 'batch'), [], { task: 'classify', inputPath: '../outside.jsonl', modelVersion: 'x' })).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(submitBatchJob(store, join(dir, 'batch'), [], { task: 'classify', inputPath: 'nope.jsonl', modelVersion: 'x' })).rejects.toMatchObject({ code: 'INVALID_REQUEST' });
    // an allowed extra root
    expect((await submitBatchJob(store, join(dir, 'batch'), [dir], { task: 'classify', inputPath: '../outside.jsonl', modelVersion: 'x' })).totalRows).toBe(1);
  });
});

describe('lease owners', () => {
  it('knows a process of this host that is gone from one that runs', () => {
    const me = newOwnerId();
    expect(ownerIsDeadLocally(me)).toBe(false);
    const [host] = me.split(':');
    expect(ownerIsDeadLocally(`${host}:${process.ppid}:x`)).toBe(false);
    expect(ownerIsDeadLocally(`${host}:2147483646:x`)).toBe(true);
    expect(ownerIsDeadLocally(`other-host:2147483646:x`)).toBe(false);
    expect(ownerIsDeadLocally(null)).toBe(false);
  });
});

// ---- the regional service, killed mid-job -------------------------------------------------------

/** The regional service in its own process, in the test's folder, without the demo knowledge base. */
const startServer = (cwd: string, databaseUrl: string) => startRegionProcess({ DATABASE_URL: databaseUrl, SEED_STORE_KB: 'false' }, { cwd });

const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };

describe.each(['sqlite', 'postgres'] as const)('batch job survives SIGKILL of the regional service on %s', (dialect) => {
  let db: TempDatabase;
  let dir: string;
  let url: string;
  const children: RegionProcess[] = [];

  setupOrFail(async () => {
    db = await tempDatabase(dialect, 'sy-batch-kill-', 'r.db');
    ({ dir, url } = db);
  }, 60_000);
  afterAll(async () => {
    for (const c of children) await c.kill();
    await db?.cleanup();
  });

  it('resumes after the restart with no duplicated or lost rows', async () => {
    const n = 40_000;
    const batchDir = dialect === 'sqlite' ? join(dir, 'batch') : join(dir, 'data', 'batch');
    mkdirSync(batchDir, { recursive: true });
    writeFileSync(join(batchDir, 'input.jsonl'), jsonl(n));

    const a = await startServer(dir, url);
    children.push(a);
    const res = await fetch(`${a.url}/v1/batch`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ task: 'classify', inputPath: 'input.jsonl' }) });
    expect(res.status).toBe(202);
    const { id } = await res.json();
    const status = async (base: string) => (await (await fetch(`${base}/v1/batch/${id}`, { headers: ADMIN })).json()) as ReturnType<typeof describeJob>;
    const before = await waitFor(async () => {
      const s = await status(a.url);
      return s.rows.done >= n / 5 ? s : null;
    }, 30_000, 'progress');
    await a.kill();
    expect(before.status).toBe('running');
    expect(before.rows.done).toBeLessThan(n);

    const b = await startServer(dir, url);
    children.push(b);
    const done = await waitFor(async () => {
      const s = await status(b.url);
      return s.status === 'succeeded' || s.status === 'failed' ? s : null;
    }, 60_000, 'the job to finish after the restart');
    expect(done.error).toBeNull();
    expect(done.rows).toEqual({ total: n, done: n, errors: 0 });
    const rows = readOutput(done.output.path, n);
    // every row holds the classifier's answer for its own text
    const expected = new Map<string, IntentPrediction>();
    for (const t of new Set(TEXTS)) expected.set(t, await classifierModels.classify!(t));
    const wrong = rows.flatMap((r, i) => (r.id === `r${i}` && r.intent === expected.get(TEXTS[i % TEXTS.length])!.intent ? [] : [i]));
    expect(wrong.slice(0, 5)).toEqual([]);
    // the second process resumed where the first stopped rather than starting over
    expect(done.resumedFrom).toBeGreaterThanOrEqual(before.rows.done);
    expect(done.resumedFrom).toBeLessThan(n);
    const output = await fetch(`${b.url}/v1/batch/${id}/output`, { headers: ADMIN });
    expect(output.headers.get('x-rows')).toBe(String(n));
    expect((await output.text()).split('\n').length).toBe(n + 1);
    console.log(`[batch ${dialect}] killed at row ≥ ${before.rows.done}, resumed from ${done.resumedFrom}; classify throughput after restart ${Math.round(done.rowsPerSecond ?? 0)} rows/s`);
    await b.stop();
  }, 120_000);
});
