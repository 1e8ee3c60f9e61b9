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
import { loadPack, packModelDir } from '../models/pipeline/domain-pack.ts';
import { classifierLabels } from '../shared/models/model-folder.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';

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
/** The domain pack bundled by default (`domain` option, else SWITCHYARD_DOMAIN, else this). */
const DEFAULT_DOMAIN = join(root, 'domains', 'kitsune-books');
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

export async function buildWidget(opts: { outDir?: string; minify?: boolean; precompress?: boolean; quiet?: boolean; domain?: string } = {}): Promise<BuildResult> {
  const t0 = Date.now();
  const domainDir = opts.domain ?? process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN;
  const pack = loadPack(domainDir, { dataRules: false });
  // Served as models/store-intent/ and models/embedder/ whatever the pack (the widget's URLs).
  const MODEL_DIRS = { 'store-intent': packModelDir(domainDir, pack, 'classifier'), embedder: packModelDir(domainDir, pack, 'embedder') };
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
    for (const file of listFiles(src)) {
      const dest = join(outDir, 'models', name, relative(src, file));
      mkdirSync(dirname(dest), { recursive: true });
      copyFileSync(file, dest);
    }
  }

  // The routing rules the bundle carries must cover the classifier it ships (checked here, so
  // the widget needs no schema library at run time).
  const readJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));
  parseIntentRoutes(pack.routes, classifierLabels(readJson(join(MODEL_DIRS['store-intent'], 'config.json'))).labels);

  const buildInfo = {
    runtimeFiles,
    catalogTitles: pack.catalog.map((t) => ({ id: t.id, title: t.title })),
    domain: {
      name: pack.domain.name,
      displayName: pack.domain.displayName,
      routes: pack.routes,
      templates: pack.templates,
      faq: pack.faq,
      gazetteer: pack.gazetteer,
      cache: { thresholds: pack.cache.thresholds, refreshMs: pack.cache.refreshMs },
      conversation: pack.conversation,
      cacheAspects: pack.cacheAspects,
      manifests: { classifier: readJson(join(MODEL_DIRS['store-intent'], 'manifest.json')), embedder: readJson(join(MODEL_DIRS.embedder, 'manifest.json')) },
    },
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
