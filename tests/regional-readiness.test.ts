/**
 * Readiness that tells the truth: a region whose configured classifier file is corrupt refuses the
 * model (sha256) and keeps answering, but /readyz says 503 with the reason, so a balancer takes it
 * out of rotation; no public response shows an absolute path of this machine.
 */
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';

let dir: string;
let broken: RunningRegional;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-ready-'));
  const clf = join(dir, 'store-intent');
  cpSync('models/default/store-intent', clf, { recursive: true });
  writeFileSync(join(clf, 'onnx', 'model_quantized.onnx'), Buffer.from('not an onnx graph, a corrupted download'));
  broken = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), CLASSIFIER_MODEL: clf, RERANKER_MODEL: resolve('models/default/reranker') }), () => {});
}, 120_000);
afterAll(async () => {
  await broken?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('readiness', () => {
  it('is 503 with the reason while a configured model is refused, and still answers', async () => {
    const res = await fetch(`${broken.url}/readyz`);
    expect(res.status).toBe(503);
    const raw = await res.text();
    const body = JSON.parse(raw);
    expect(body.status).toBe('degraded');
    expect(body.unavailable.map((u: { role: string }) => u.role)).toEqual(['classifier']);
    expect(body.reason).toMatch(/^classifier: /);
    // No absolute path: neither the temp folder nor the checkout shows.
    expect(raw).not.toContain(dir);
    expect(raw).not.toContain(process.cwd());
    expect(body.models.every((m: { info: object }) => !('path' in m.info))).toBe(true);
    expect((await fetch(`${broken.url}/healthz`)).status).toBe(200);
    const answer = await fetch(`${broken.url}/v1/generate`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ message: 'how much is shipping to alaska?', sessionId: 'ready-1' }),
    });
    expect(answer.status).toBe(200);
    expect((await answer.json()).route.fallbacks).toContain('classifier_unavailable');
  });
});
