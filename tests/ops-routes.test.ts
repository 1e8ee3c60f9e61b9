/**
 * The ops API on the regional service (in process, real models, SQLite): batch jobs over HTTP
 * (admin only, validation, upload, progress, output, cancel) and the drift endpoint and gauge.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeIntents } from '../models/pipeline/store-data.ts';
import { loadConfig } from '../regional/src/config.ts';
import { driftMonitor, observePrediction } from '../regional/src/ops/drift-monitor.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import embedderManifest from '../models/default/embedder/manifest.json' with { type: 'json' };

const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };

describe('ops routes', () => {
  let dir: string;
  let r: RunningRegional;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-ops-routes-'));
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), SEED_STORE_KB: 'false' }), () => {});
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const post = (body: unknown, headers = ADMIN) => fetch(`${r.url}/v1/batch`, { method: 'POST', headers, body: JSON.stringify(body) });
  const get = (path: string) => fetch(r.url + path, { headers: ADMIN });
  const until = async (id: string) => {
    for (let i = 0; i < 500; i++) {
      const j = await (await get(`/v1/batch/${id}`)).json();
      if (j.status !== 'queued' && j.status !== 'running') return j;
      await new Promise((res) => setTimeout(res, 20));
    }
    throw new Error(`job ${id} did not finish`);
  };

  it('refuses non-admin keys and bad requests with codes', async () => {
    expect((await post({ task: 'classify', input: '"hi"' }, EDGE)).status).toBe(403);
    const both = await post({ task: 'classify', input: '"hi"', inputPath: 'x.jsonl' });
    expect(both.status).toBe(400);
    expect((await both.json()).error.code).toBe('INVALID_REQUEST');
    expect((await (await post({ task: 'translate', input: '"hi"' })).json()).error.code).toBe('INVALID_REQUEST');
    expect((await (await post({ task: 'classify', input: '\n \n' })).json()).error).toMatchObject({ code: 'INVALID_REQUEST', message: 'the input has no rows' });
    expect((await post({ task: 'classify', inputPath: '/etc/hostname' })).status).toBe(403);
    expect((await get('/v1/batch/batch_nope')).status).toBe(404);
    expect((await fetch(`${r.url}/v1/batch/batch_nope`, { method: 'DELETE', headers: ADMIN })).status).toBe(404);
  });

  it('runs an uploaded classify job and an embed job, with progress and output', async () => {
    const input = ['where is my order 12345', 'do you ship to hawaii', 'recommend a dark fantasy manga']
      .map((text, i) => JSON.stringify({ id: i, text }))
      .join('\n');
    const res = await post({ task: 'classify', input });
    expect(res.status).toBe(202);
    const job = await res.json();
    expect(res.headers.get('location')).toBe(`/v1/batch/${job.id}`);
    expect(job).toMatchObject({ task: 'classify', status: 'queued', model: 'switchyard-store-intent@1.1.0', rows: { total: 3, done: 0 } });
    const done = await until(job.id);
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, etaSeconds: 0, rows: { total: 3, done: 3, errors: 0 }, error: null });
    const out = await get(`/v1/batch/${job.id}/output`);
    expect(out.headers.get('content-type')).toMatch(/ndjson/);
    const rows = (await out.text()).trim().split('\n').map((l) => JSON.parse(l));
    expect(rows.map((x) => [x.index, x.id, x.intent])).toEqual([
      [0, 0, 'order_status'],
      [1, 1, 'shipping_info'],
      [2, 2, 'recommendation'],
    ]);
    // finished jobs cannot be canceled; the answer is their state
    expect((await (await fetch(`${r.url}/v1/batch/${job.id}`, { method: 'DELETE', headers: ADMIN })).json()).status).toBe('succeeded');

    const emb = await (await post({ task: 'embed', input: '"alaska shipping"\n"hawaii shipping"\n' })).json();
    expect(emb.model).toBe(`${embedderManifest.name}@${embedderManifest.version}`);
    await until(emb.id);
    const vecs = (await (await get(`/v1/batch/${emb.id}/output`)).text()).trim().split('\n').map((l) => JSON.parse(l).embedding);
    expect(vecs.map((v: number[]) => v.length)).toEqual([100, 100]);
    const list = await (await get('/v1/batch')).json();
    expect(list.jobs.map((j: { id: string }) => j.id)).toEqual(expect.arrayContaining([job.id, emb.id]));
  });

  it('reports drift against the loaded classifier’s baseline and exports the gauge', async () => {
    let report: any;
    for (let i = 0; i < 200 && !report?.baseline; i++) {
      report = await (await get('/v1/ops/drift')).json();
      if (!report.baseline) await new Promise((res) => setTimeout(res, 25));
    }
    const ds = storeIntents();
    expect(report.baseline).toEqual({ source: 'switchyard-store-intent@1.1.0 on kitsune-books val+test', n: ds.val!.length + ds.test.length });
    expect(report.thresholds).toEqual({ warn: 0.1, alert: 0.2, minSamples: 200 });
    expect((await fetch(`${r.url}/v1/ops/drift`, { headers: EDGE })).status).toBe(403);
    // live traffic that looks nothing like the baseline
    for (let i = 0; i < 300; i++) observePrediction('order_status', 0.42);
    const drifted = await (await get('/v1/ops/drift')).json();
    expect(drifted.status).toBe('alert');
    expect(drifted.windows.map((w: { window: string; n: number }) => [w.window, w.n])).toEqual([
      ['15m', 300],
      ['1h', 300],
    ]);
    const metrics = await (await fetch(`${r.url}/metrics`)).text();
    const psi = Number(metrics.match(/switchyard_drift_psi\{signal="intent",window="15m"\} ([\d.]+)/)?.[1]);
    expect(psi).toBeGreaterThan(0.2);
    expect(psi).toBeCloseTo(drifted.windows[0].intent.psi, 6);
    driftMonitor.setBaseline(null);
  });
});
