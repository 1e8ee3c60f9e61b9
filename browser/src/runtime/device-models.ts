/**
 * Loads the on-device models: picks WASM or WebGPU by measured cost, reads every model file
 * through VerifiedFiles (sha256 against the manifests pinned in the bundle, Cache Storage), builds
 * the shared IntentClassifier over onnxruntime-web, warms it up and times the first inference
 * against the device budget. The embedder (FAQ matching and the local cache) is not part of the
 * first open: `loadEmbedder()` reads and starts it when a question first needs it, so opening
 * the widget and answering a template costs the runtime, the classifier and the tokenizer only
 * (BENCHMARKS.md, "Widget first open under 4 MB"). Any failure of the first load resolves to an
 * `edge-only` state with a machine-readable code: the widget then quietly uses the edge.
 */
import { IntentClassifier } from '../../../shared/models/intent-classifier.ts';
import type { ModelManifest } from '../../../shared/models/manifest.ts';
import { classifierLabels, openModelFolder } from '../../../shared/models/model-folder.ts';
import { SentenceEmbedder } from '../../../shared/models/sentence-embedder.ts';
import { runtimeFiles } from 'switchyard:build-info';
import { applyRoutingConfig } from '../../../shared/routing/routing-config.ts';
import { modelFolders, storeData } from '../store-data.ts';
import { shapeOf } from './backend-choice.ts';
import { fileUrl } from './file-url.ts';
import { pickRuntime, type Backend, type BackendPreference } from './ort-backend.ts';
import { VerifiedFiles, type TransferStats } from './verified-files.ts';

export interface LoadTimings {
  /** From the start: choosing the backend and reading its .wasm (beside the model files). */
  runtimeMs: number;
  /** From the start: reading and verifying the model files. */
  filesMs: number;
  /** Creating both inference sessions. */
  sessionsMs: number;
  /** Warm-up runs (kernel compilation on WebGPU). */
  warmupMs: number;
  /** The timed first inference (classify one message), compared with the budget. */
  firstInferenceMs: number;
  totalMs: number;
  /** The embedder's own load (files, session, warm-up), once a question needed it. */
  embedderMs?: number;
}

export interface DeviceModels {
  classifier: IntentClassifier;
  /** null until loadEmbedder() has finished. */
  embedder: SentenceEmbedder | null;
  /** Reads, starts and warms up the embedder (once; later calls share the first). */
  loadEmbedder(): Promise<SentenceEmbedder>;
  backend: Backend;
  threads: number;
  adapter?: string;
  webgpuSkipped?: string;
  classifierVersion: string;
  embedderVersion: string;
  /** The embedder's output size (its config's hidden_size). */
  dimensions: number;
  timings: LoadTimings;
  transfer: TransferStats;
}

export type DeviceState =
  | { status: 'loading' }
  | { status: 'ready'; models: DeviceModels }
  | { status: 'edge-only'; code: string; reason: string; backend?: Backend; timings?: Partial<LoadTimings>; transfer?: TransferStats };

export interface LoadOptions {
  /** Where the bundle lives: model and runtime files are under `files/` beside it. */
  baseUrl: URL;
  prefer?: BackendPreference;
  /** The first timed inference must take at most this long, else the device counts as slow. */
  budgetMs: number;
}

/**
 * Warm-up inputs: a batch (as the FAQ questions are embedded) and a single message (as every
 * visitor message is classified, and embedded where it needs the embedder). Token lengths do not matter, the WebGPU kernels
 * take shapes as uniforms; the batch size does: for one row, ReduceSum and Softmax pick a larger
 * workgroup, a different shader. Warming up on the batch alone left those to be compiled during
 * the first real message (on SwiftShader ~0.5 s with the two-head classifier's Softmax).
 */
// Inputs of two lengths, in no domain's words (a model is warmed, not asked).
const WARMUP = ['hi there', 'where is my order 12345'];
const WARMUP_SHAPES = [WARMUP, WARMUP.slice(1)];
const PROBE = 'how long does delivery take?';

/**
 * Gives the page's own work a turn between load stages (scheduler.yield where it exists), so
 * loading the models after the visitor's interest does not block the page in one long task.
 */
export function nextTask(): Promise<void> {
  const s = (globalThis as unknown as { scheduler?: { yield?: () => Promise<void> } }).scheduler;
  return s?.yield ? s.yield() : new Promise((r) => setTimeout(r, 0));
}

export async function loadDeviceModels(opts: LoadOptions): Promise<DeviceState> {
  const t0 = performance.now();
  const timings: Partial<LoadTimings> = {};
  let files: VerifiedFiles | null = null;
  let backend: Backend | undefined;
  try {
    files = await VerifiedFiles.open();
    const f = files;
    // The model files and the runtime load side by side. Files are served by content
    // (files/<sha256>.<ext>): the tokenizer both models share is one URL, read once.
    const read = (manifest: ModelManifest) => (path: string) => {
      const sha = manifest.files[path];
      if (!sha) throw new Error(`${manifest.name}: ${path} is not in the manifest`);
      return f.read(fileUrl(opts.baseUrl, sha, path), sha, `${manifest.name}/${path}`);
    };
    const clfManifest = modelFolders.classifier.manifest;
    const embManifest = modelFolders.embedder.manifest;
    const folder = openModelFolder(clfManifest, read(clfManifest)).then((x) => {
      timings.filesMs = performance.now() - t0;
      return x;
    });
    folder.catch(() => undefined); // awaited below; a runtime failure first must not leave it unhandled
    // The backend is chosen for both models' shapes; of the embedder only its config (436 B) is read now.
    const embConfig = read(embManifest)('config.json').then((b) => JSON.parse(new TextDecoder().decode(b)) as Record<string, unknown>);
    embConfig.catch(() => undefined);
    const runtime = await pickRuntime({
      baseUrl: opts.baseUrl,
      files: f,
      prefer: opts.prefer,
      shapes: async () => [shapeOf((await folder).config as Record<string, unknown>), shapeOf(await embConfig)],
    });
    backend = runtime.backend;
    timings.runtimeMs = performance.now() - t0;
    const clf = await folder;
    const dimensions = Number((await embConfig).hidden_size);

    const t2 = performance.now();
    const { labels, calibration: own } = classifierLabels(clf.config);
    const { calibration } = applyRoutingConfig(own, storeData.routingConfig, `${clf.manifest.name}@${clf.manifest.version}`);
    await nextTask();
    const classifier = new IntentClassifier(clf.tokenizer, await runtime.createSession(clf.onnx), runtime.Tensor, labels, calibration);
    backend = runtime.backend;
    timings.sessionsMs = performance.now() - t2;

    const t3 = performance.now();
    for (const texts of WARMUP_SHAPES) {
      await nextTask();
      await classifier.classify(texts);
    }
    await nextTask();
    timings.warmupMs = performance.now() - t3;

    const t4 = performance.now();
    await classifier.classify([PROBE]);
    timings.firstInferenceMs = performance.now() - t4;
    timings.totalMs = performance.now() - t0;

    // Files of other model versions are no longer needed.
    void f.prune([...Object.values(clfManifest.files), ...Object.values(embManifest.files), ...Object.values(runtimeFiles)]).catch(() => 0);

    if (timings.firstInferenceMs > opts.budgetMs) {
      return {
        status: 'edge-only',
        code: 'SLOW_DEVICE',
        reason: `first inference took ${Math.round(timings.firstInferenceMs)} ms, over the ${opts.budgetMs} ms budget`,
        backend,
        timings,
        transfer: { ...f.stats },
      };
    }
    let embedderLoad: Promise<SentenceEmbedder> | null = null;
    const models: DeviceModels = {
      classifier,
      embedder: null,
      loadEmbedder() {
        embedderLoad ??= (async () => {
          const t5 = performance.now();
          const emb = await openModelFolder(embManifest, read(embManifest));
          const embedder = new SentenceEmbedder(emb.tokenizer, await runtime.createSession(emb.onnx), runtime.Tensor);
          for (const texts of WARMUP_SHAPES) {
            await nextTask();
            await embedder.embed(texts);
          }
          timings.embedderMs = performance.now() - t5;
          models.embedder = embedder;
          return embedder;
        })();
        return embedderLoad;
      },
      backend: runtime.backend,
      threads: runtime.threads,
      ...(runtime.adapter ? { adapter: runtime.adapter } : {}),
      ...(runtime.webgpuSkipped ? { webgpuSkipped: runtime.webgpuSkipped } : {}),
      classifierVersion: `${clf.manifest.name}@${clf.manifest.version}`,
      embedderVersion: `${embManifest.name}@${embManifest.version}`,
      dimensions,
      timings: timings as LoadTimings,
      // Live: the embedder's files count once it loads.
      get transfer() {
        return { ...f.stats };
      },
    };
    return { status: 'ready', models };
  } catch (e) {
    const err = e as Error & { code?: string };
    timings.totalMs = performance.now() - t0;
    return {
      status: 'edge-only',
      code: err.code ?? 'MODEL_LOAD_FAILED',
      reason: err.message,
      ...(backend ? { backend } : {}),
      timings,
      ...(files ? { transfer: { ...files.stats } } : {}),
    };
  }
}
