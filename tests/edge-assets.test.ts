/**
 * The edge's model files as Workers Static Assets (scripts/edge-assets.ts, edge/src/runtime/
 * asset-models.ts): the build lays out each manifest (with the build-time optimised graph added)
 * and every file it lists by content, the widget's naming; a rebuild copies nothing new and drops files no manifest lists; a model file
 * that does not match its manifest is refused at build time and, served anyway, refused by the
 * Worker in workerd (sha256 checked before use); the Worker script carries no model file and
 * stays under 5 MiB gzip by wrangler's own count; no edge source imports anything under models/.
 */
import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildEdgeAssets } from '../scripts/edge-assets.ts';
import { placeModelFolder, sha256File } from '../models/pipeline/content-files.ts';
import { filePath } from '../shared/models/content-address.ts';
import { ONNX_PATH, OPTIMIZED_ONNX_PATH } from '../shared/models/model-folder.ts';
import { optimizedGraph } from '../scripts/optimized-graph.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { closedPort } from './helpers/closed-port.ts';

const root = process.cwd();
const KITSUNE = join(root, 'domains', 'kitsune-books');
const MODEL_DIRS = { classifier: join(root, 'models', 'default', 'store-intent'), embedder: join(root, 'models', 'default', 'embedder') };
let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'sy-edge-assets-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the edge assets build', () => {
  it('writes each manifest, plus the build-time optimised graph, and every file it lists under its sha256, the names the widget uses', () => {
    const out = join(dir, 'a');
    const built = buildEdgeAssets(KITSUNE, out);
    expect(built.domain).toBe('kitsune-books');
    for (const [role, modelDir] of Object.entries(MODEL_DIRS)) {
      const folder = JSON.parse(readFileSync(join(modelDir, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
      const served = JSON.parse(readFileSync(join(out, 'models', `${role}.json`), 'utf8')) as { files: Record<string, string> };
      // The folder's manifest, with one file more: the graph the Worker loads (scripts/optimized-graph.ts).
      const { [OPTIMIZED_ONNX_PATH]: optimized, ...rest } = served.files;
      expect({ ...served, files: rest }).toEqual(folder);
      expect(optimized).toBe(sha256File(optimizedGraph(join(modelDir, ONNX_PATH))!));
      for (const [path, sha] of Object.entries(served.files)) {
        const served = join(out, filePath(sha, path));
        expect(sha256File(served), `${role} ${path}`).toBe(sha);
        expect(built.files).toContain(filePath(sha, path));
      }
    }
    // The tokenizer both models share is one file.
    const onDisk = readdirSync(join(out, 'files'));
    expect(onDisk.length).toBe(built.files.filter((f) => f.startsWith('files/')).length);
    expect(onDisk.every((f) => /^[0-9a-f]{64}\.[a-z]+$/.test(f))).toBe(true);
  });

  it('rebuilds incrementally: files already there are kept, files no manifest lists are removed', () => {
    const out = join(dir, 'b');
    const first = buildEdgeAssets(KITSUNE, out);
    const onnx = join(out, first.files.find((f) => f.endsWith('.onnx'))!);
    const mtime = statSync(onnx).mtimeMs;
    const stale = join(out, 'files', `${'0'.repeat(64)}.onnx`);
    writeFileSync(stale, 'an old version');
    const second = buildEdgeAssets(KITSUNE, out);
    expect(second.files).toEqual(first.files);
    expect(statSync(onnx).mtimeMs).toBe(mtime);
    expect(existsSync(stale)).toBe(false);
  });

  it('refuses a model file that does not match its manifest', () => {
    const modelDir = join(dir, 'tampered-model');
    cpSync(MODEL_DIRS.classifier, modelDir, { recursive: true });
    writeFileSync(join(modelDir, 'config.json'), '{"tampered": true}');
    expect(() => placeModelFolder(modelDir, join(dir, 'c'))).toThrow(/config\.json does not match its manifest's sha256/);
  });
});

describe('the Worker script', () => {
  it('imports nothing under models/', () => {
    const sources = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? sources(join(d, e.name)) : e.name.endsWith('.ts') ? [join(d, e.name)] : []));
    const offenders = sources(join(root, 'edge', 'src')).filter((f) => /from ['"][./]*models\//.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('carries no model file, is at most 5 MiB gzip by wrangler deploy --dry-run, and deploys beside a 20 MB model file', () => {
    const out = join(dir, 'dry-run');
    const assets = join(dir, 'big-assets');
    buildEdgeAssets(KITSUNE, assets);
    // A 20 MB model file (incompressible), the size a larger domain model may have: an asset, not script.
    const big = randomBytes(20_000_000);
    writeFileSync(join(assets, filePath(createHash('sha256').update(big).digest('hex'), 'model.onnx')), big);
    const r = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out, '--assets', assets], { cwd: root, encoding: 'utf8', timeout: 180_000, env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } });
    const text = r.stdout + r.stderr;
    const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
    expect(m, text.slice(-2000)).not.toBeNull();
    expect(text).toMatch(/env\.ASSETS\s+Assets/);
    expect(Number(m![2])).toBeLessThanOrEqual(5 * 1024);
    expect(readdirSync(out).filter((f) => /\.onnx$|tokenizer/.test(f))).toEqual([]);
  }, 200_000);
});

describe('a tampered asset in workerd', () => {
  let edge: EdgeProcess;
  beforeAll(async () => {
    const assets = join(dir, 'tampered-assets');
    buildEdgeAssets(KITSUNE, assets);
    const manifest = JSON.parse(readFileSync(join(assets, 'models', 'classifier.json'), 'utf8')) as { files: Record<string, string> };
    // The graph the Worker loads: the build-time optimised one.
    const onnx = join(assets, filePath(manifest.files[OPTIMIZED_ONNX_PATH], OPTIMIZED_ONNX_PATH));
    const bytes = readFileSync(onnx);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(onnx, bytes);
    edge = await startEdgeProcess({ port: 21000 + Math.floor(Math.random() * 2000), regionalUrl: `http://127.0.0.1:${await closedPort()}`, persistTo: join(dir, 'wrangler'), vars: { MODEL_REFRESH_INTERVAL_MS: '0' }, quiet: true, assetsDir: assets });
  }, 240_000);
  afterAll(async () => edge?.stop());

  it('is refused before use: the edge serves degraded, naming the sha256 mismatch', async () => {
    const res = await fetch(`${edge.url}/healthz?strict=1`);
    expect(res.status).toBe(503);
    const body = (await res.json()) as { status: string; code: string; reason: string };
    expect(body).toMatchObject({ status: 'degraded', code: 'MODEL_INTEGRITY' });
    expect(body.reason).toMatch(/sha256 mismatch for onnx\/model_quantized_optimized\.onnx/);
  });
});
