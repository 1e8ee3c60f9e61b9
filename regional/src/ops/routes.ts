/**
 * Model-operations API of the regional service (admin keys), mounted by app.ts:
 *
 *   POST   /v1/batch             {task: classify|embed|rerank, input?: JSONL string, inputPath?: path} → 202 job
 *   GET    /v1/batch             recent jobs
 *   GET    /v1/batch/:id         status, progress, rows/s and ETA
 *   GET    /v1/batch/:id/output  the JSONL output written so far (checkpointed rows only)
 *   DELETE /v1/batch/:id         cancel
 *   GET    /v1/ops/drift         PSI of the classifier's intent and confidence distributions per window
 *   /v1/ops/rollouts…, /v1/ops/shadow/:model   rollout rules, canary status, shadow reports (rollout-routes.ts)
 *
 * Creating the routes for a Services also starts its batch runner (resuming interrupted jobs)
 * and loads the drift baseline of the loaded classifier version.
 */
import { createReadStream } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError, readJsonBody, validate } from '../../../shared/api/errors.ts';
import { requireKey, type AuthVars } from '../http/auth.ts';
import type { Services } from '../services.ts';
import { resolveStoreTarget } from '../store/open.ts';
import { BATCH_TASKS } from '../store/types.ts';
import { modelVersionFor, type BatchModels } from './batch-rows.ts';
import { BatchRunner, type BatchRunnerOptions } from './batch-runner.ts';
import { describeJob, submitBatchJob } from './batch-submit.ts';
import { driftMonitor, registerDriftMetrics } from './drift-monitor.ts';
import { baselineFromPredictions, isDriftBaseline } from './drift.ts';
import { stopLiveRollouts } from './live-rollouts.ts';
import { rolloutRoutes } from './rollout-routes.ts';
import { readJsonlDataset } from '../domain/store-files.ts';

export interface OpsOptions {
  /** Where uploaded inputs and outputs live; default `batch/` beside the SQLite file, else ./data/batch. */
  batchDir?: string;
  /** More directories inputPath may point into (besides batchDir). */
  inputRoots?: string[];
  runner?: BatchRunnerOptions;
}

const MAX_UPLOAD_BYTES = 64 * 1024 * 1024;

const BatchRequest = z
  .object({
    task: z.enum(BATCH_TASKS),
    inputPath: z.string().min(1).max(4000).optional(),
    input: z.string().min(1).optional(),
  })
  .refine((b) => (b.input === undefined) !== (b.inputPath === undefined), 'give exactly one of input (a JSONL string) and inputPath');

export function defaultBatchDir(databaseUrl: string | undefined): string {
  const t = resolveStoreTarget(databaseUrl);
  return t.dialect === 'sqlite' && t.path !== ':memory:' ? join(dirname(resolve(t.path)), 'batch') : resolve('data', 'batch');
}

/** The models a batch job may call, read live from the services. */
export function batchModelsOf(s: Services): BatchModels {
  const rr = s.models.find((m) => m.role === 'reranker')?.info;
  return {
    classify: s.classify,
    classifierVersion: s.classifierVersion,
    embed: (texts, lane) => s.embedder.embed(texts, undefined, lane),
    embedderVersion: s.embedder.name,
    rerank: s.rerank,
    rerankerVersion: rr ? `${rr.name}@${rr.version}` : undefined,
  };
}

interface OpsState {
  runner: BatchRunner;
  batchDir: string;
}
const states = new WeakMap<Services, OpsState>();

/** The ops state of a Services (one batch runner per Services, however often routes are built). */
export function opsState(s: Services, opts: OpsOptions = {}): OpsState {
  let st = states.get(s);
  if (!st) {
    const batchDir = opts.batchDir ?? defaultBatchDir(s.config.DATABASE_URL);
    const runner = new BatchRunner(s.store, () => batchModelsOf(s), {
      ...opts.runner,
      onChunk: (task, rows, ms) => {
        s.metrics.stageDuration.observe({ stage: `batch_${task}_chunk` }, ms / 1000);
        opts.runner?.onChunk?.(task, rows, ms);
      },
    });
    st = { runner, batchDir };
    states.set(s, st);
    runner.start();
    registerDriftMetrics(s.metrics.registry);
    void loadDriftBaseline(s);
  }
  return st;
}

/** Stops the Services' batch runner after its current chunk (call before closing the store). */
export async function stopOps(s: Services): Promise<void> {
  stopLiveRollouts(s);
  await states.get(s)?.runner.stop();
}

/**
 * The drift baseline of the loaded classifier version: the one stored with it in the registry,
 * else its predictions on the served pack's validation and test splits.
 */
export async function loadDriftBaseline(s: Services): Promise<void> {
  try {
    const info = s.models.find((m) => m.role === 'classifier')?.info;
    if (!info || !s.classify) return;
    const registered = await s.store.registry.getModelVersion(info.name, info.version).catch(() => null);
    if (registered?.baseline && isDriftBaseline(registered.baseline)) {
      driftMonitor.setBaseline(registered.baseline);
      return;
    }
    const ds = readJsonlDataset(join(s.config.SWITCHYARD_DOMAIN, 'intents'));
    const texts = [...(ds.val ?? []), ...ds.test].map((e) => e.text);
    const preds = await Promise.all(texts.map((t) => s.classify!(t)));
    driftMonitor.setBaseline(baselineFromPredictions(preds, `${info.name}@${info.version} on ${basename(s.config.SWITCHYARD_DOMAIN)} val+test`));
  } catch (e) {
    console.error(`drift baseline unavailable: ${(e as Error).message}`);
  }
}

export function opsRoutes(s: Services, opts: OpsOptions = {}) {
  const st = opsState(s, opts);
  const app = new Hono<AuthVars>();
  const admin = requireKey(s.store, s.rateLimiter, ['admin']);

  app.post('/v1/batch', admin, async (c) => {
    const body = validate(BatchRequest, await readJsonBody(c.req.raw, MAX_UPLOAD_BYTES));
    const version = modelVersionFor(body.task, batchModelsOf(s));
    if (!version) throw new ApiError('MODEL_UNAVAILABLE', `no ${body.task} model is loaded`);
    const job = await submitBatchJob(s.store, st.batchDir, opts.inputRoots ?? [], {
      task: body.task,
      input: body.input,
      inputPath: body.inputPath,
      modelVersion: version,
      createdBy: c.get('apiKey').id,
    });
    st.runner.kick();
    return c.json(describeJob(job), 202, { location: `/v1/batch/${job.id}` });
  });

  app.get('/v1/batch', admin, async (c) => {
    const jobs = await s.store.batchJobs.listBatchJobs({ limit: 100 });
    return c.json({ jobs: jobs.map((j) => describeJob(j)) });
  });

  app.get('/v1/batch/:id', admin, async (c) => {
    const job = await s.store.batchJobs.getBatchJob(c.req.param('id'));
    if (!job) throw new ApiError('NOT_FOUND', `no batch job ${c.req.param('id')}`);
    return c.json(describeJob(job));
  });

  app.get('/v1/batch/:id/output', admin, async (c) => {
    const job = await s.store.batchJobs.getBatchJob(c.req.param('id'));
    if (!job) throw new ApiError('NOT_FOUND', `no batch job ${c.req.param('id')}`);
    const headers = { 'content-type': 'application/x-ndjson', 'x-rows': String(job.rowsDone) };
    if (job.outputBytes === 0) return c.body('', 200, headers);
    // Only the checkpointed bytes: rows past them may still be rewritten after a crash.
    const stream = Readable.toWeb(createReadStream(job.outputPath, { start: 0, end: job.outputBytes - 1 })) as ReadableStream<Uint8Array>;
    return c.body(stream, 200, headers);
  });

  app.delete('/v1/batch/:id', admin, async (c) => {
    const id = c.req.param('id');
    if (!(await s.store.batchJobs.cancelBatchJob(id))) {
      const job = await s.store.batchJobs.getBatchJob(id);
      if (!job) throw new ApiError('NOT_FOUND', `no batch job ${id}`);
      return c.json(describeJob(job), 200);
    }
    return c.json(describeJob((await s.store.batchJobs.getBatchJob(id))!));
  });

  app.get('/v1/ops/drift', admin, (c) => c.json(driftMonitor.report()));
  app.route('/', rolloutRoutes(s));

  return app;
}
