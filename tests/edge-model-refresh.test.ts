/**
 * The edge follows promotions in the region's registry without a redeploy, in real workerd
 * (wrangler dev) in front of the real regional service: a promoted classifier serves within
 * the refresh interval (plus its download and warm-up), in /v1/models, route events and metrics;
 * a tampered artifact or a manifest that disagrees with the registry is refused and the current
 * version keeps serving; a new embedder version starts the semantic cache again. The region's
 * dashboard series carries the edge's path mix, read from the edge's /metrics.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteEvent } from '../shared/api/chat.ts';
import { loadConfig } from '../regional/src/config.ts';
import { dashboardSampler } from '../regional/src/ops/dashboard-routes.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { copyModelAs, registerAndPromote } from './helpers/model-copies.ts';
import embedderManifest from '../models/default/embedder/manifest.json' with { type: 'json' };

const CLASSIFIER = 'switchyard-store-intent';
const EMBEDDER = 'switchyard-static-embedder';
const REFRESH_MS = 500;

let dir: string;
let regional: RunningRegional;
let edge: EdgeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-edge-refresh-'));
  const port = 16000 + Math.floor(Math.random() * 2000);
  regional = await startRegional(
    loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'regional.db'), HOT_RELOAD_INTERVAL_MS: '400', DASHBOARD_SAMPLE_MS: '500', EDGE_METRICS_URL: `http://127.0.0.1:${port}/metrics` }),
    () => {},
  );
  edge = await startEdgeProcess({ port, regionalUrl: regional.url, persistTo: join(dir, 'wrangler'), vars: { MODEL_REFRESH_INTERVAL_MS: String(REFRESH_MS), UPSTREAM_TIMEOUT_MS: '8000' }, quiet: true });
}, 240_000);

afterAll(async () => {
  await edge?.stop();
  await regional?.close();
  rmSync(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * A request to the edge, sent again when the kept-alive connection it went out on is reset
 * before any response. Seen locally under wrangler dev: right after a reload's waitUntil work
 * ends, the next request on a kept-alive connection may be reset (requests during the reload, on
 * the same or a new connection, are answered). Only connection errors are retried, never an HTTP
 * status.
 */
async function edgeFetch(path: string, init?: RequestInit): Promise<Response> {
  for (let i = 0; ; i++) {
    try {
      return await fetch(edge.url + path, init);
    } catch (e) {
      if (i >= 2) throw e;
      await sleep(100);
    }
  }
}
const edgeGet = (path: string) => edgeFetch(path);

const models = async () => (await edgeGet('/v1/models')).json();
const metrics = async () => (await edgeGet('/metrics')).text();
const metric = (text: string, series: string) => Number(text.split('\n').find((l) => l.startsWith(`${series} `))?.split(' ')[1] ?? 0);

async function until<T>(what: string, probe: () => Promise<T | null | undefined | false>, ms = 90_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await sleep(100);
  }
}

async function chat(message: string): Promise<{ route: RouteEvent; text: string }> {
  const res = await edgeFetch('/v1/chat', {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message, sessionId: 'refresh-test' }),
  });
  expect(res.status).toBe(200);
  return res.json();
}

const role = (body: { models: { role: string; version: string; source: string }[] }, r: string) => body.models.find((m) => m.role === r)!;

describe('edge model refresh in workerd', () => {
  it('starts on its bundled models and checks the region in the background', async () => {
    const first = await models();
    expect(role(first, 'intent-classifier')).toMatchObject({ name: CLASSIFIER, version: '1.1.0', source: 'bundled' });
    expect(first.refresh).toMatchObject({ enabled: true, intervalMs: REFRESH_MS, refused: [] });
    const checked = await until('a check of the region', async () => ((await models()).refresh.lastCheckOk === true ? true : null));
    expect(checked).toBe(true);
    expect(metric(await metrics(), 'switchyard_edge_model_checks_total{result="unchanged"}')).toBeGreaterThan(0);
    expect((await chat('hello there')).route).toMatchObject({ path: 'template', modelVersion: `${CLASSIFIER}@1.1.0` });
  });

  it('serves a classifier promoted in the region within the refresh interval, and says so', async () => {
    await registerAndPromote(regional.services.store.registry, copyModelAs('models/default/store-intent', dir, '1.0.1'), CLASSIFIER, '1.0.1');
    const t0 = Date.now();
    const body = await until('the edge serving 1.0.1', async () => {
      const b = await models();
      return role(b, 'intent-classifier').version === '1.0.1' ? b : null;
    });
    console.log(`edge serves the promoted classifier ${Date.now() - t0} ms after the promotion: ${JSON.stringify(body.refresh.loaded.classifier)}`);
    expect(role(body, 'intent-classifier')).toMatchObject({ source: 'region' });
    expect(role(body, 'sentence-embedder')).toMatchObject({ version: embedderManifest.version, source: 'bundled' });
    expect(body.refresh.loaded.classifier).toMatchObject({ version: `${CLASSIFIER}@1.0.1` });
    const r = await chat('hello there');
    expect(r.route).toMatchObject({ path: 'template', intent: 'greeting_chitchat', modelVersion: `${CLASSIFIER}@1.0.1` });
    const m = await metrics();
    expect(metric(m, `switchyard_edge_model_info{role="classifier",version="${CLASSIFIER}@1.0.1",source="region"}`)).toBe(1);
    expect(metric(m, 'switchyard_edge_model_reloads_total{role="classifier",result="loaded"}')).toBe(1);
    expect(m).toMatch(new RegExp(`switchyard_edge_model_latency_seconds_count\\{role="classifier",version="${CLASSIFIER}@1\\.0\\.1"\\} [1-9]`));
  });

  it('refuses a tampered artifact, keeps serving the current version and does not retry it', async () => {
    const folder = copyModelAs('models/default/store-intent', dir, '1.0.2');
    // Changed after registration: the region serves it, the edge checks the registered digest.
    await registerAndPromote(regional.services.store.registry, folder, CLASSIFIER, '1.0.2', () => {
      const onnx = join(folder, 'onnx/model_quantized.onnx');
      const bytes = readFileSync(onnx);
      bytes[bytes.length >> 1] ^= 0xff;
      writeFileSync(onnx, bytes);
    });
    const refused = await until('the refusal of 1.0.2', async () => (await models()).refresh.refused.find((x: { version: string }) => x.version === '1.0.2'));
    expect(refused).toMatchObject({ role: 'classifier', name: CLASSIFIER });
    expect(refused.reason).toMatch(/sha256 mismatch for onnx\/model_quantized\.onnx/);
    expect(role(await models(), 'intent-classifier').version).toBe('1.0.1');
    expect((await chat('where is my order KB-12345?')).route.modelVersion).toBe(`${CLASSIFIER}@1.0.1`);
    const checks = metric(await metrics(), 'switchyard_edge_model_checks_total{result="unchanged"}');
    await until('more checks', async () => metric(await metrics(), 'switchyard_edge_model_checks_total{result="unchanged"}') >= checks + 3);
    expect(metric(await metrics(), 'switchyard_edge_model_reloads_total{role="classifier",result="refused"}')).toBe(1);
  });

  it('refuses a version whose manifest.json disagrees with the registry', async () => {
    const folder = copyModelAs('models/default/store-intent', dir, '1.0.3');
    // Both the file and the folder's manifest rewritten after registration: consistent with each
    // other, but not with the digests the registry recorded.
    await registerAndPromote(regional.services.store.registry, folder, CLASSIFIER, '1.0.3', () => {
      const config = join(folder, 'config.json');
      writeFileSync(config, readFileSync(config, 'utf8').replace('"oos"', '"oops"'));
      const m = JSON.parse(readFileSync(join(folder, 'manifest.json'), 'utf8'));
      m.files['config.json'] = '0'.repeat(64);
      writeFileSync(join(folder, 'manifest.json'), JSON.stringify(m));
    });
    const refused = await until('the refusal of 1.0.3', async () => (await models()).refresh.refused.find((x: { version: string }) => x.version === '1.0.3'));
    expect(refused.reason).toMatch(/manifest\.json lists other files or digests than the region's registry/);
    expect((await chat('hello there')).route.modelVersion).toBe(`${CLASSIFIER}@1.0.1`);
  });

  it('follows a new embedder version, and its semantic cache starts empty', async () => {
    const q = 'do you ship to canada?';
    await chat(q);
    await until('a cache hit on the bundled embedder', async () => (await chat(q)).route.path === 'cache');
    await registerAndPromote(regional.services.store.registry, copyModelAs('models/default/embedder', dir, '1.0.1'), EMBEDDER, '1.0.1');
    await until('the edge serving embedder 1.0.1', async () => role(await models(), 'sentence-embedder').version === '1.0.1');
    // Keys of another embedder version never match: the first answer comes from the region again.
    expect((await chat(q)).route.path).toBe('llm');
    await until('a cache hit on the new embedder', async () => (await chat(q)).route.path === 'cache');
    const m = await metrics();
    expect(metric(m, `switchyard_edge_model_info{role="embedder",version="${EMBEDDER}@1.0.1",source="region"}`)).toBe(1);
    expect(metric(m, 'switchyard_edge_cache_lookups_total{result="hit"}')).toBeGreaterThanOrEqual(2);
    expect(metric(m, 'switchyard_edge_cache_hit_ratio')).toBeGreaterThan(0);
  });

  it("puts the edge's path mix in the region's dashboard series", async () => {
    for (let i = 0; i < 3; i++) await chat('hello there');
    await dashboardSampler(regional.services).sampler.sample();
    const res = await fetch(`${regional.url}/v1/ops/timeseries?since=0`, { headers: { authorization: 'Bearer dev-admin-key' } });
    const ts = await res.json();
    expect(ts.edge).toEqual({ configured: true });
    const withEdge = ts.points.filter((p: { edgePaths: unknown }) => p.edgePaths);
    expect(withEdge.length).toBeGreaterThan(0);
    const templates = withEdge.reduce((n: number, p: { intervalS: number; edgePaths: Record<string, number> }) => n + (p.edgePaths.template ?? 0) * p.intervalS, 0);
    expect(Math.round(templates)).toBeGreaterThanOrEqual(3);
    expect(withEdge.some((p: { edgeBypassRatio: number | null }) => (p.edgeBypassRatio ?? 0) > 0)).toBe(true);
  });
});
