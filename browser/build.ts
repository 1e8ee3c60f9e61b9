/**
 * Builds the widget into browser/dist/ (`npx tsx browser/build.ts`):
 *
 *   switchyard-chat.js                       the one ES module a page loads (esbuild, minified)
 *   ort-wasm-simd-threaded{,.asyncify}.{mjs,wasm}  onnxruntime-web's WASM and WebGPU runtimes
 *   models/store-intent/…, models/embedder/… the default model folders, manifest.json included
 *
 * The bundle pins the sha256 of every runtime file (and carries the model manifests), so the
 * widget verifies all it fetches. Large files get a .gz sibling for servers that serve
 * precompressed assets (the demo server does).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { classifierLabels } from '../shared/models/model-folder.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';
import { parseCacheAspects } from '../shared/cache/aspects-schema.ts';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
export const DIST = join(here, 'dist');

/** onnxruntime-web files next to the bundle: the WASM build's and the WebGPU build's runtimes. */
export const RUNTIME_FILES = [
  'ort-wasm-simd-threaded.mjs',
  'ort-wasm-simd-threaded.wasm',
  'ort-wasm-simd-threaded.asyncify.mjs',
  'ort-wasm-simd-threaded.asyncify.wasm',
];
const MODEL_DIRS = { 'store-intent': 'models/default/store-intent', embedder: 'models/default/embedder' };
const COMPRESS = /\.(js|mjs|wasm|onnx|json)$/;

export interface BuildResult {
  outDir: string;
  ms: number;
  files: { path: string; bytes: number; gzipBytes?: number }[];
}

function sha256(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

export async function buildWidget(opts: { outDir?: string; minify?: boolean; precompress?: boolean; quiet?: boolean } = {}): Promise<BuildResult> {
  const t0 = Date.now();
  const outDir = opts.outDir ?? DIST;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const ortDist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
  const runtimeFiles: Record<string, string> = {};
  for (const f of RUNTIME_FILES) {
    copyFileSync(join(ortDist, f), join(outDir, f));
    runtimeFiles[f] = sha256(join(outDir, f));
  }
  for (const [name, src] of Object.entries(MODEL_DIRS)) {
    for (const file of listFiles(join(root, src))) {
      const dest = join(outDir, 'models', name, relative(join(root, src), file));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(file, dest);
    }
  }

  // The routing rules the bundle carries must cover the classifier it ships (checked here, so
  // the widget needs no schema library at run time).
  const readJson = (p: string) => JSON.parse(readFileSync(join(root, p), 'utf8'));
  const routes = parseIntentRoutes(readJson('domains/kitsune-books/routes.json'), classifierLabels(readJson('models/default/store-intent/config.json')).labels);
  const cacheable = Object.entries(routes.intents).filter(([, r]) => r.route === 'cacheable').map(([i]) => i);
  parseCacheAspects(readJson('domains/kitsune-books/cache-aspects.json'), cacheable);

  const catalog = JSON.parse(readFileSync(join(root, 'domains/kitsune-books/kb/catalog.json'), 'utf8')) as { id: string; title: string }[];
  const buildInfo = {
    runtimeFiles,
    catalogTitles: catalog.map((t) => ({ id: t.id, title: t.title })),
    builtAt: new Date().toISOString(),
  };
  const virtual: esbuild.Plugin = {
    name: 'switchyard-build-info',
    setup(b) {
      b.onResolve({ filter: /^switchyard:build-info$/ }, (a) => ({ path: a.path, namespace: 'switchyard' }));
      b.onLoad({ filter: /.*/, namespace: 'switchyard' }, () => ({
        contents: Object.entries(buildInfo)
          .map(([k, v]) => `export const ${k} = ${JSON.stringify(v)};`)
          .join('\n'),
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    entryPoints: [join(here, 'src', 'switchyard-chat.ts')],
    outfile: join(outDir, 'switchyard-chat.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['es2022', 'chrome113', 'firefox121', 'safari17'],
    // onnxruntime-web's builds that load their Emscripten runtime (.mjs) from beside the bundle,
    // rather than inlining it: its pthread workers then load only that file.
    conditions: ['onnxruntime-web-use-extern-wasm'],
    minify: opts.minify ?? true,
    sourcemap: 'linked',
    legalComments: 'eof',
    logLevel: opts.quiet ? 'error' : 'warning',
    plugins: [virtual],
  });

  const files: BuildResult['files'] = [];
  for (const file of listFiles(outDir).sort()) {
    const bytes = statSync(file).size;
    let gzipBytes: number | undefined;
    if ((opts.precompress ?? true) && COMPRESS.test(file) && bytes > 1024) {
      const gz = gzipSync(readFileSync(file), { level: 6 });
      writeFileSync(`${file}.gz`, gz);
      gzipBytes = gz.byteLength;
    }
    files.push({ path: relative(outDir, file), bytes, ...(gzipBytes !== undefined ? { gzipBytes } : {}) });
  }
  const ms = Date.now() - t0;
  if (!opts.quiet) {
    for (const f of files) console.log(`  ${f.path.padEnd(48)} ${String(f.bytes).padStart(10)} B${f.gzipBytes ? `  (gzip ${f.gzipBytes} B)` : ''}`);
    console.log(`widget built in ${relative(process.cwd(), outDir) || '.'} in ${ms} ms`);
  }
  return { outDir, ms, files };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildWidget({ minify: !process.argv.includes('--no-minify') });
}
