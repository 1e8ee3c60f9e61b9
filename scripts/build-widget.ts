/**
 * Builds the widget into browser/dist/ (`npx tsx scripts/build-widget.ts`, `npm run build:widget`):
 *
 *   switchyard-chat.js        the one ES module a page loads (esbuild, minified; the only file
 *                             whose name does not change with its content)
 *   chunks/*-<hash>.js        what it imports on the visitor's interest (device code, onnxruntime-web's
 *                             WASM build and, apart, its WebGPU build)
 *   files/<sha256>.<ext>      every model and runtime file by content: onnxruntime's .wasm and .mjs,
 *                             each model's files (a file two models share, the tokenizer, is one file)
 *
 * The bundle pins the sha256 of every runtime file (and carries the model manifests), so the
 * widget verifies all it fetches. Every compressible file gets .br and .gz siblings
 * (precompress.ts, cached by content under node_modules/.cache/), served by Accept-Encoding.
 */
import { mkdirSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { loadPack, packModelDir } from '../models/pipeline/domain-pack.ts';
import { placeByContent, placeModelFolder } from '../models/pipeline/content-files.ts';
import { classifierLabels } from '../shared/models/model-folder.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';
import { precompress } from './precompress.ts';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const here = join(root, 'browser');
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
// Shared by every checkout using this node_modules (content-addressed, so never stale).
const CACHE_DIR = join(root, 'node_modules', '.cache', 'switchyard-precompressed');

export interface BuiltFile {
  path: string;
  bytes: number;
  brBytes?: number;
  gzipBytes?: number;
}

export interface BuildResult {
  outDir: string;
  ms: number;
  files: BuiltFile[];
  /**
   * With `precompress: 'later'`: settles once every .br/.gz sibling is written (the files, with
   * their compressed sizes). Until then the server sends a file as is, then each sibling as it lands.
   */
  compressed?: Promise<BuiltFile[]>;
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? listFiles(join(dir, e.name)) : [join(dir, e.name)]));
}

/**
 * `precompress`: true (default) writes the .br/.gz siblings before returning; false writes none;
 * 'later' returns as soon as the files are in place and writes the siblings in the background
 * (`compressed`): `npm start` serves the page at once on a first run, when brotli at quality 11
 * would otherwise hold it for a minute or two.
 */
export async function buildWidget(opts: { outDir?: string; minify?: boolean; precompress?: boolean | 'later'; quiet?: boolean; domain?: string } = {}): Promise<BuildResult> {
  const t0 = Date.now();
  const domainDir = opts.domain ?? process.env.SWITCHYARD_DOMAIN ?? DEFAULT_DOMAIN;
  const pack = loadPack(domainDir, { dataRules: false });
  // Every file of both folders is served by content (files/<sha256>.<ext>), whatever the pack.
  const MODEL_DIRS = { 'store-intent': packModelDir(domainDir, pack, 'classifier'), embedder: packModelDir(domainDir, pack, 'embedder') };
  const outDir = opts.outDir ?? DIST;
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });

  const ortDist = join(root, 'node_modules', 'onnxruntime-web', 'dist');
  mkdirSync(join(outDir, 'files'), { recursive: true });
  const runtimeFiles: Record<string, string> = {};
  for (const f of RUNTIME_FILES) runtimeFiles[f] = placeByContent(join(ortDist, f), f, outDir).sha256;
  for (const dir of Object.values(MODEL_DIRS)) placeModelFolder(dir, outDir);

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
      // The pack's ids by shape (entities.json `patterns`), for follow-ups on the device.
      entityPatterns: pack.entityPatterns,
      cache: { thresholds: pack.cache.thresholds, refreshMs: pack.cache.refreshMs },
      conversation: pack.conversation,
      cacheAspects: pack.cacheAspects,
      // The pack's tuned per-intent thresholds (checked against their manifest by loadPack); null: none.
      routingConfig: pack.routingConfig ?? null,
      manifests: { classifier: readJson(join(MODEL_DIRS['store-intent'], 'manifest.json')), embedder: readJson(join(MODEL_DIRS.embedder, 'manifest.json')) },
    },
    builtAt: new Date().toISOString(),
  };
  const virtual: esbuild.Plugin = {
    name: 'switchyard-build-info',
    setup(b) {
      // build-info goes with the device chunk; page-info is the little the element needs on every page view.
      const modules: Record<string, object> = { 'switchyard:build-info': buildInfo, 'switchyard:page-info': { handoff: pack.templates.handoff, widgetStrings: pack.domain.widget?.strings ?? {} } };
      b.onResolve({ filter: /^switchyard:(build|page)-info$/ }, (a) => ({ path: a.path, namespace: 'switchyard' }));
      b.onLoad({ filter: /.*/, namespace: 'switchyard' }, (a) => ({
        contents: Object.entries(modules[a.path])
          .map(([k, v]) => `export const ${k} = ${JSON.stringify(v)};`)
          .join('\n'),
        loader: 'js',
      }));
    },
  };
  await esbuild.build({
    entryPoints: [join(here, 'src', 'switchyard-chat.ts')],
    outdir: outDir,
    // The element is one small module; the device code (onnxruntime-web, the model wrappers) is a
    // chunk it imports only once the visitor shows interest. Chunk names carry their hash.
    splitting: true,
    entryNames: '[name]',
    chunkNames: 'chunks/[name]-[hash]',
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

  const all = listFiles(outDir).sort();
  const mode = opts.precompress ?? true;
  const compressAll = () =>
    Promise.all(
      all.map(async (file): Promise<BuiltFile> => {
        const bytes = statSync(file).size;
        const path = relative(outDir, file);
        if (!mode || !COMPRESS.test(file) || bytes <= 1024) return { path, bytes };
        const c = await precompress(file, CACHE_DIR);
        return { path, bytes, ...(c.br ? { brBytes: c.br } : {}), ...(c.gzip ? { gzipBytes: c.gzip } : {}) };
      }),
    );
  if (mode === 'later') {
    const files = all.map((file) => ({ path: relative(outDir, file), bytes: statSync(file).size }));
    // Begun on a later turn: hashing the files (tens of MB) would otherwise hold the caller here.
    return { outDir, ms: Date.now() - t0, files, compressed: new Promise((r) => setImmediate(r)).then(compressAll) };
  }
  const files = await compressAll();
  const ms = Date.now() - t0;
  if (!opts.quiet) {
    for (const f of files) console.log(`  ${f.path.padEnd(76)} ${String(f.bytes).padStart(10)} B${f.brBytes ? `  br ${f.brBytes} B` : ''}${f.gzipBytes ? `  gzip ${f.gzipBytes} B` : ''}`);
    console.log(`widget built in ${relative(process.cwd(), outDir) || '.'} in ${ms} ms`);
  }
  return { outDir, ms, files };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await buildWidget({ minify: !process.argv.includes('--no-minify') });
}
