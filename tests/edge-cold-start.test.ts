/**
 * The edge's cold start in stages (edge/src/runtime/edge-models.ts), in workerd: the classifier
 * serves first, the embedder loads once the isolate's first request is answered. The first request
 * of a fresh isolate is answered while the embedder is not loaded: a cacheable question is a
 * marked miss (`embedder_loading`) that goes on to the region (here unreachable: a marked
 * fallback, no hang) and /healthz says "loading" (degraded, 503 when strict) with the load's
 * phases; once the embedder is in, the same question is looked up in the cache, unmarked. An
 * embedder that fails its sha256 check leaves the classifier serving: /healthz "partial" with
 * MODEL_INTEGRITY, template answers from the plain template, the cache skipped, both marked
 * `embedder_unavailable`.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdgeAssets } from '../scripts/edge-assets.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { filePath } from '../shared/models/content-address.ts';
import { OPTIMIZED_ONNX_PATH } from '../shared/models/model-folder.ts';
import { closedPort } from './helpers/closed-port.ts';

const KITSUNE = join(process.cwd(), 'domains', 'kitsune-books');
/** A cacheable intent's question and a template intent with FAQ entries (kitsune-books). */
const CACHEABLE = 'how much does shipping to alaska cost?';
const FAQ_TEMPLATE = 'what is your return policy?';

let dir: string;
let fresh: EdgeProcess;
let noEmbedder: EdgeProcess;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-edge-cold-'));
  const region = `http://127.0.0.1:${await closedPort()}`;
  const vars = { MODEL_REFRESH_INTERVAL_MS: '0', UPSTREAM_TIMEOUT_MS: '1500' };
  const tampered = join(dir, 'tampered-embedder');
  buildEdgeAssets(KITSUNE, tampered);
  const manifest = JSON.parse(readFileSync(join(tampered, 'models', 'embedder.json'), 'utf8')) as { files: Record<string, string> };
  // The embedder's graph the Worker loads: the build-time optimised one.
  const onnx = join(tampered, filePath(manifest.files[OPTIMIZED_ONNX_PATH], OPTIMIZED_ONNX_PATH));
  const bytes = readFileSync(onnx);
  bytes[bytes.length - 1] ^= 0xff;
  writeFileSync(onnx, bytes);
  // `fresh` is ready once it serves a static asset, which does not start the Worker's isolate: the tests make its first request.
  [fresh, noEmbedder] = await Promise.all([
    startEdgeProcess({ port: 27000 + Math.floor(Math.random() * 1000), regionalUrl: region, persistTo: join(dir, 'w1'), vars, quiet: true, readyPath: '/models/classifier.json' }),
    startEdgeProcess({ port: 28000 + Math.floor(Math.random() * 1000), regionalUrl: region, persistTo: join(dir, 'w2'), vars, quiet: true, assetsDir: tampered }),
  ]);
}, 240_000);

afterAll(async () => {
  await Promise.all([fresh?.stop(), noEmbedder?.stop()]);
  rmSync(dir, { recursive: true, force: true });
});

let sessions = 0;
async function chat(edge: EdgeProcess, message: string) {
  const res = await fetch(`${edge.url}/v1/chat`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ message, sessionId: `cold-${++sessions}` }),
    signal: AbortSignal.timeout(60_000),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { route: { path: string; intent: string; fallbacks: string[] }; text: string; done: { fallbacks: string[] } };
}

describe('a fresh isolate', () => {
  it('answers its first request before the embedder is loaded: a cacheable question is a marked miss, then the region (down: a marked fallback)', async () => {
    const first = await chat(fresh, CACHEABLE);
    expect(first.route.intent).toBe('shipping_info');
    expect(first.done.fallbacks).toContain('embedder_loading');
    expect(first.route.path).toBe('fallback');
    expect(first.text.length).toBeGreaterThan(0);
  });

  it('says "loading" on /healthz (degraded, 503 when strict) until the embedder is in, then "ready" with both load times and the phases', async () => {
    let health = (await (await fetch(`${fresh.url}/healthz`)).json()) as Record<string, any>;
    const deadline = Date.now() + 120_000;
    while (health.models === 'loading' && Date.now() < deadline) {
      expect(health.status).toBe('degraded');
      expect(typeof health.readyMs).toBe('number');
      expect(health.loadMs).toBeUndefined();
      const strict = await fetch(`${fresh.url}/healthz?strict=1`);
      // The embedder may have come in between the two requests.
      if (((await strict.clone().json()) as { models: string }).models === 'loading') expect(strict.status).toBe(503);
      await new Promise((r) => setTimeout(r, 50));
      health = (await (await fetch(`${fresh.url}/healthz`)).json()) as Record<string, any>;
    }
    expect(health).toMatchObject({ status: 'ok', models: 'ready' });
    expect(health.loadMs).toBeGreaterThanOrEqual(health.readyMs);
    for (const phase of ['manifests', 'classifier.files', 'classifier.sha256', 'classifier.tokenizer', 'classifier.session', 'classifier.warmup', 'embedder.files', 'embedder.session', 'embedder.warmup', 'templates.faq']) {
      expect(health.phases[phase], phase).toMatchObject({ at: expect.any(Number), ms: expect.any(Number) });
    }
    // The embedder's session was created after the classifier was warm and the first response was made.
    expect(health.phases['embedder.session'].at).toBeGreaterThanOrEqual(health.phases['classifier.warmup'].at + health.phases['classifier.warmup'].ms);
    expect(health.isolate.loadStartedAt + health.phases['embedder.session'].at).toBeGreaterThanOrEqual(health.isolate.firstResponseAt - 5);
  }, 150_000);

  it('looks the same question up in the cache once the embedder is in (no marker)', async () => {
    const again = await chat(fresh, CACHEABLE);
    expect(again.done.fallbacks).not.toContain('embedder_loading');
    expect(again.route.intent).toBe('shipping_info');
  });
});

describe('an embedder that fails its sha256 check', () => {
  it('leaves the classifier serving: /healthz "partial" with MODEL_INTEGRITY, 503 when strict', async () => {
    const res = await fetch(`${noEmbedder.url}/healthz?strict=1`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; models: string; code: string; reason: string };
    expect(body).toMatchObject({ status: 'degraded', models: 'partial', code: 'MODEL_INTEGRITY' });
    expect(body.reason).toMatch(/embedder.*sha256 mismatch for onnx\/model_quantized_optimized\.onnx/);
  });

  it('answers a FAQ template intent from its plain template and skips the cache, both marked embedder_unavailable', async () => {
    const template = await chat(noEmbedder, FAQ_TEMPLATE);
    expect(template.route).toMatchObject({ path: 'template', intent: 'return_policy' });
    expect(template.done.fallbacks).toContain('embedder_unavailable');
    const cacheable = await chat(noEmbedder, CACHEABLE);
    expect(cacheable.done.fallbacks).toContain('embedder_unavailable');
    expect(cacheable.route.path).toBe('fallback');
  });
});
