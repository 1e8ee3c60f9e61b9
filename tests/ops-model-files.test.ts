/**
 * What the region serves the edge so that it can follow promotions: the production versions with
 * each file's registered sha256, and the registered files themselves (edge key; only files the
 * registry lists, only from inside the artifact folder, whatever the path says).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { get, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ActiveModels } from '../shared/api/active-models.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { copyModelAs, registerAndPromote } from './helpers/model-copies.ts';

const EDGE = { authorization: 'Bearer dev-edge-key' };
const NAME = 'switchyard-store-intent';

let dir: string;
let r: RunningRegional;
let partnerKey: string;

/** A GET with the path exactly as given (fetch would normalize `..` away). */
function rawGet(path: string, headers: Record<string, string> = EDGE): Promise<{ status: number; body: string }> {
  const u = new URL(r.url);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, headers }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-model-files-'));
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), SEED_STORE_KB: 'false', HOT_RELOAD_INTERVAL_MS: '600000' }), () => {});
  const res = await fetch(`${r.url}/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'partner', role: 'partner' }),
  });
  partnerKey = (await res.json()).key;
  const folder = copyModelAs('models/default/store-intent', dir, '1.0.1');
  writeFileSync(join(dir, 'secret.txt'), 'not a model file');
  await registerAndPromote(r.services.store.registry, folder, NAME, '1.0.1');
}, 120_000);

afterAll(async () => {
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('active models and their files', () => {
  it('lists the production versions with their registered digests, for the edge key only', async () => {
    expect((await fetch(`${r.url}/v1/ops/active-models`)).status).toBe(401);
    expect((await fetch(`${r.url}/v1/ops/active-models`, { headers: { authorization: `Bearer ${partnerKey}` } })).status).toBe(403);
    const res = await fetch(`${r.url}/v1/ops/active-models`, { headers: EDGE });
    expect(res.status).toBe(200);
    const body = ActiveModels.parse(await res.json());
    const manifest = JSON.parse(readFileSync('models/default/store-intent/manifest.json', 'utf8'));
    // The list is the served domain's: an edge of another domain refuses to follow it.
    expect(body.domain).toBe(r.services.store.registry.domain);
    expect(body.domain).toBe(JSON.parse(readFileSync('domains/kitsune-books/domain.json', 'utf8')).name);
    expect(body.models).toEqual([
      expect.objectContaining({ name: NAME, version: '1.0.1', kind: 'intent-classifier', files: manifest.files, promotedBy: 'test', filesUrl: `/v1/ops/models/${NAME}/1.0.1/files/` }),
    ]);
  });

  it('serves each registered file with its digest, and the folder manifest', async () => {
    const url = `${r.url}/v1/ops/models/${NAME}/1.0.1/files/`;
    const onnx = await fetch(`${url}onnx/model_quantized.onnx`, { headers: EDGE });
    expect(onnx.status).toBe(200);
    const bytes = Buffer.from(await onnx.arrayBuffer());
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(onnx.headers.get('x-sha256')).toBe(sha);
    expect(sha).toBe(JSON.parse(readFileSync('models/default/store-intent/manifest.json', 'utf8')).files['onnx/model_quantized.onnx']);
    expect(Number(onnx.headers.get('content-length'))).toBe(bytes.byteLength);
    const again = await fetch(`${url}onnx/model_quantized.onnx`, { headers: { ...EDGE, 'if-none-match': `"${sha}"` } });
    expect(again.status).toBe(304);
    const manifest = await (await fetch(`${url}manifest.json`, { headers: EDGE })).json();
    expect(manifest).toMatchObject({ name: NAME, version: '1.0.1' });
    expect((await fetch(`${url}config.json`)).status).toBe(401);
  });

  it('gzips the JSON files (the tokenizer) for a client that accepts it, the bytes still matching their digest; weights go as they are', async () => {
    const url = `${r.url}/v1/ops/models/${NAME}/1.0.1/files/`;
    const raw = (path: string, headers: Record<string, string>) =>
      new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
        get(`${url}${path}`, { headers: { ...EDGE, ...headers } }, (res) => {
          const parts: Buffer[] = [];
          res.on('data', (d: Buffer) => parts.push(d));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(parts) }));
        }).on('error', reject);
      });
    const files = JSON.parse(readFileSync('models/default/store-intent/manifest.json', 'utf8')).files as Record<string, string>;
    const tok = await raw('tokenizer.json', { 'accept-encoding': 'gzip' });
    expect(tok.headers['content-encoding']).toBe('gzip');
    expect(tok.body.byteLength).toBeLessThan(statSync('models/default/store-intent/tokenizer.json').size / 2);
    expect(createHash('sha256').update(gunzipSync(tok.body)).digest('hex')).toBe(files['tokenizer.json']);
    expect((await raw('tokenizer.json', { 'accept-encoding': 'gzip', 'if-none-match': String(tok.headers.etag) })).status).toBe(304);
    const plain = await raw('tokenizer.json', {});
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(createHash('sha256').update(plain.body).digest('hex')).toBe(files['tokenizer.json']);
    const onnx = await raw('onnx/model_quantized.onnx', { 'accept-encoding': 'gzip' });
    expect(onnx.headers['content-encoding']).toBeUndefined();
  });

  it('serves nothing outside the registered files', async () => {
    const base = `/v1/ops/models/${NAME}/1.0.1/files/`;
    for (const path of [
      `${base}../secret.txt`,
      `${base}..%2Fsecret.txt`,
      `${base}%2e%2e/%2e%2e/%2e%2e/package.json`,
      `${base}onnx/../../secret.txt`,
      `${base}/etc/passwd`,
      `${base}README.md`,
      `/v1/ops/models/${NAME}/9.9.9/files/config.json`,
      `/v1/ops/models/nope/1.0.1/files/config.json`,
    ]) {
      const res = await rawGet(path);
      expect([path, res.status]).toEqual([path, 404]);
      expect(JSON.parse(res.body).error.code).toBe('NOT_FOUND');
      expect(res.body).not.toMatch(/not a model file/);
    }
  });
});
