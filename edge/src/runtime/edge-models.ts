/**
 * The edge's classifier and embedder. Each isolate loads the deployed ones on its first request
 * (never in global scope): the domain's model files come from the Worker's static assets
 * (asset-models.ts), every file is sha256-checked against its manifest, sessions are created on
 * onnxruntime-web (WASM, one thread) and warmed with a few synthetic requests before the first
 * real one.
 *
 * The classifier loads first and serves alone as soon as it is warm (firstModels): routing and
 * template answers need nothing else. The embedder's files are read beside the classifier's, but
 * its session is created only once the classifier serves and the request that started the load
 * is answered (embedderMayLoad), so it delays neither; until it is loaded (or when it
 * failed) `embedderState` says so and the edge answers without it, marked (embedderGap): no cache
 * lookup, a template intent's plain template instead of its nearest FAQ answer. edgeModels()
 * settles once both are. Every phase is timed (load-profile.ts, shown on /healthz).
 *
 * A failure is remembered, not thrown: without its classifier the edge keeps serving without
 * models (every message goes to the region, marked so); without its embedder, without the cache.
 * Later, the refresher (model-refresh.ts) may load a version promoted in the region's registry
 * with the same loaders and swap it in with replaceModels().
 */
import { IntentClassifier, type ClassifierCalibration, type IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import type { ModelManifest } from '../../../shared/models/manifest.ts';
import { classifierLabels, folderOf, type TokenizerCache } from '../../../shared/models/model-folder.ts';
import { SentenceEmbedder } from '../../../shared/models/sentence-embedder.ts';
import { applyRoutingConfig } from '../../../shared/routing/routing-config.ts';
import { bundledDomain } from '../domain/bundled-domain.ts';
import { edgeMetrics, type EdgeModelRole } from '../http/metrics.ts';
import { assetModels, type VerifiedFolder } from './asset-models.ts';
import { LoadProfile } from './load-profile.ts';
import { Tensor, workerdSession } from './ort-workerd.ts';

export type ModelSource = 'bundled' | 'region';

export interface EdgeClassifier {
  readonly labels: readonly string[];
  /** The routing and out-of-scope thresholds from the model's config, per intent from the pack's routing config (reported with answers). */
  readonly calibration: ClassifierCalibration;
  classify(texts: string[]): Promise<IntentPrediction[]>;
  /** False when no word of the text is in the classifier's vocabulary (its prediction means nothing). */
  knowsAWord(text: string): boolean;
  /** Raw logits (leave-one-word-out explanations). */
  logits(texts: string[]): Promise<Float32Array[]>;
}

export interface EdgeEmbedder {
  embed(texts: string[]): Promise<Float32Array[]>;
}

/** The embedder is loaded after the classifier: until then (or when it failed) the edge serves without it. */
export type EmbedderState = { state: 'ready' } | { state: 'loading' } | { state: 'failed'; code: string; reason: string };

export interface EdgeModels {
  classifier: EdgeClassifier;
  /** While `embedderState` is not ready, one that refuses every call (callers check embedderGap first). */
  embedder: EdgeEmbedder;
  embedderState: EmbedderState;
  manifests: { classifier: ModelManifest; embedder: ModelManifest };
  /** Where each model came from: deployed with the Worker ("bundled": its static assets), or downloaded from the region's registry. */
  sources: { classifier: ModelSource; embedder: ModelSource };
  /** "name@version" of the classifier (route events) and of the embedder (cache keys). */
  classifierVersion: string;
  embedderVersion: string;
  dimensions: number;
  /** ms from the isolate's first request until the classifier served (template answers). */
  readyMs: number;
  /** ms until both models were loaded and warmed (absent while the embedder loads). */
  loadMs?: number;
  /** The deployed models' load, phase by phase (absent for a refreshed model's). */
  profile?: LoadProfile;
}

export type ModelState = { ok: true; models: EdgeModels } | { ok: false; code: string; reason: string };

export interface LoadedClassifier {
  classifier: EdgeClassifier;
  manifest: ModelManifest;
  version: string;
}

export interface LoadedEmbedder {
  embedder: EdgeEmbedder;
  manifest: ModelManifest;
  version: string;
  dimensions: number;
}

/** What a load shares: its profile (phases are recorded there) and the tokenizers already parsed. */
export interface LoadContext {
  profile?: LoadProfile;
  tokenizers?: TokenizerCache;
}

// Inputs of a few lengths, in no domain's words (a model is warmed, not asked).
const WARMUP = ['hi there', 'how long does delivery take', 'where is my order 12345', 'is the first one of these still available'];

/** The classifier as soon as it serves, and both models once the embedder is loaded too. */
interface Loading {
  first: Promise<ModelState>;
  all: Promise<ModelState>;
  profile: LoadProfile;
}

let loading: Loading | null = null;
/** Opened once the request that started the load has been answered (embedderMayLoad). */
let embedderTurn: (() => void) | null = null;
const embedderMayStart = new Promise<void>((r) => (embedderTurn = r));
/** What new requests get once the load settled; replaced by replaceModels() (a refreshed version). */
let state: Promise<ModelState> | null = null;

/** The bindings the models need: EDGE_MODELS ("off" serves without them) and ASSETS (their files). */
export interface ModelEnv {
  EDGE_MODELS?: string;
  ASSETS?: Fetcher;
}

const DISABLED: ModelState = { ok: false, code: 'MODELS_DISABLED', reason: 'EDGE_MODELS is off' };

/** Both models, once the load has settled (the embedder loaded or failed); starts the load if needed. */
export function edgeModels(env: ModelEnv): Promise<ModelState> {
  if ((env.EDGE_MODELS ?? 'on') === 'off') return Promise.resolve(DISABLED);
  loading ??= load(env.ASSETS);
  return (state ??= loading.all);
}

/** The models as soon as the classifier serves: the embedder may still be loading (embedderState). */
export function firstModels(env: ModelEnv): Promise<ModelState> {
  if ((env.EDGE_MODELS ?? 'on') === 'off') return Promise.resolve(DISABLED);
  loading ??= load(env.ASSETS);
  return loading.first;
}

/**
 * Lets the embedder's session be created: call once the request that started the load has its
 * answer. Until then the isolate's one thread is the classifier's and that request's, so the
 * first answer never waits for the embedder (a request's own I/O, e.g. its rate-limit check,
 * could otherwise resume only after the embedder's session).
 */
export function embedderMayLoad(): void {
  if (!embedderTurn) return;
  embedderTurn();
  embedderTurn = null;
  if (loading) loading.profile.firstResponseAt = Date.now();
}

/**
 * Why the embedder cannot serve this request, as a fallback marker: `embedder_loading` while the
 * isolate's first load is still on it, `embedder_unavailable` when it failed; null when it serves.
 */
export function embedderGap(models: EdgeModels): 'embedder_loading' | 'embedder_unavailable' | null {
  const s = models.embedderState.state;
  return s === 'ready' ? null : s === 'loading' ? 'embedder_loading' : 'embedder_unavailable';
}

/** Verifies, opens and warms a classifier folder; its calls are metered under its version. */
export async function loadClassifier(src: VerifiedFolder, ctx: LoadContext = {}): Promise<LoadedClassifier> {
  const { profile } = ctx;
  const f = await time(profile, 'classifier.tokenizer', () => folderOf(src.manifest, src.files, src.manifest.name, ctx.tokenizers));
  const { labels, calibration: own } = classifierLabels(f.config);
  const version = `${f.manifest.name}@${f.manifest.version}`;
  // The pack's tuned per-intent thresholds, when they were tuned for this very version.
  const { calibration } = applyRoutingConfig(own, bundledDomain.routingConfig, version);
  const session = await time(profile, 'classifier.session', () => workerdSession(f.onnx, profile));
  const clf = new IntentClassifier(f.tokenizer, session, Tensor, labels, calibration);
  await time(profile, 'classifier.warmup', async () => {
    checkPredictions(await clf.classify(WARMUP), clf.labels, src.manifest);
    for (const t of WARMUP) await clf.classify([t]);
  });
  return {
    classifier: { labels: clf.labels, calibration: clf.calibration, classify: edgeMetrics.meter('classifier', version, (t: string[]) => clf.classify(t)), logits: (t) => clf.logits(t), knowsAWord: (t) => clf.tokenizer.knowsAWord(t) },
    manifest: f.manifest,
    version,
  };
}

/** Verifies, opens and warms an embedder folder; its calls are metered under its version. */
export async function loadEmbedder(src: VerifiedFolder, ctx: LoadContext = {}): Promise<LoadedEmbedder> {
  const { profile } = ctx;
  const f = await time(profile, 'embedder.tokenizer', () => folderOf(src.manifest, src.files, src.manifest.name, ctx.tokenizers));
  // It loads beside served requests: each that arrived meanwhile runs between the load's steps.
  await nextTurn();
  const emb = new SentenceEmbedder(f.tokenizer, await time(profile, 'embedder.session', () => workerdSession(f.onnx, profile)), Tensor);
  await nextTurn();
  const vectors = await time(profile, 'embedder.warmup', async () => {
    const out = await emb.embed(WARMUP);
    // Requests embed one text at a time: warm that shape too, as the classifier is.
    for (const t of WARMUP) await emb.embed([t]);
    return out;
  });
  const probe = vectors[0];
  if (!probe?.length || vectors.some((v) => v.length !== probe.length || !v.every(Number.isFinite))) {
    throw new Error(`${src.manifest.name}@${src.manifest.version}: the embedder's warm-up vectors are empty, uneven or not finite`);
  }
  const version = `${f.manifest.name}@${f.manifest.version}`;
  return { embedder: { embed: edgeMetrics.meter('embedder', version, (t: string[]) => emb.embed(t)) }, manifest: f.manifest, version, dimensions: probe.length };
}

/** The next turn of the event loop: what is queued (requests, their I/O) runs first. */
export const nextTurn = () => new Promise<void>((r) => setTimeout(r, 0));

function time<T>(profile: LoadProfile | undefined, name: string, fn: () => Promise<T> | T): Promise<T> {
  return profile ? profile.time(name, fn) : Promise.resolve().then(fn);
}

/** A classifier whose warm-up outputs are not probabilities over its own labels is refused. */
function checkPredictions(preds: IntentPrediction[], labels: readonly string[], m: ModelManifest): void {
  const bad = preds.find((p) => !labels.includes(p.topLabel) || !(p.confidence >= 0 && p.confidence <= 1 + 1e-6));
  if (preds.length !== WARMUP.length || bad) throw new Error(`${m.name}@${m.version}: the classifier's warm-up outputs are not valid predictions`);
}

function failure(e: unknown, what: string): { code: string; reason: string } {
  const err = e as Error & { code?: string };
  console.error(`edge ${what} failed to load; serving without it:`, err.message);
  return { code: err.code ?? 'MODEL_LOAD_FAILED', reason: err.message };
}

/** Stands in for the embedder while it loads or after it failed; never called by a caller that checks embedderGap. */
function missingEmbedder(why: string): EdgeEmbedder {
  return { embed: () => Promise.reject(new Error(`the embedder is not available: ${why}`)) };
}

/**
 * The isolate's load: the classifier first (its files, session and warm-up), then the embedder's
 * session and warm-up; the embedder's files are read from the start, beside the classifier's.
 */
function load(assets: Fetcher | undefined): Loading {
  const profile = new LoadProfile();
  const ctx: LoadContext = { profile, tokenizers: new Map() };
  const models = assetModels(assets, profile);
  const embedderFiles = models.then((m) => m.folder('embedder'));
  embedderFiles.catch(() => {}); // awaited once the classifier serves; a failure before then is not unhandled

  const first: Promise<ModelState> = (async () => {
    try {
      const m = await models;
      const clf = await loadClassifier(await m.folder('classifier'), ctx);
      edgeMetrics.modelLoaded('classifier', clf.version, 'bundled');
      const embedderVersion = `${m.manifests.embedder.name}@${m.manifests.embedder.version}`;
      return {
        ok: true,
        models: {
          classifier: clf.classifier,
          embedder: missingEmbedder('still loading'),
          embedderState: { state: 'loading' },
          manifests: { classifier: clf.manifest, embedder: m.manifests.embedder },
          sources: { classifier: 'bundled', embedder: 'bundled' },
          classifierVersion: clf.version,
          embedderVersion,
          dimensions: 0,
          readyMs: profile.elapsed(),
          profile,
        },
      };
    } catch (e) {
      return { ok: false, ...failure(e, 'models') };
    }
  })();

  const all: Promise<ModelState> = first.then(async (s) => {
    if (!s.ok) return s;
    await embedderMayStart;
    try {
      const emb = await loadEmbedder(await embedderFiles, ctx);
      edgeMetrics.modelLoaded('embedder', emb.version, 'bundled');
      return { ok: true, models: { ...s.models, embedder: emb.embedder, embedderState: { state: 'ready' }, embedderVersion: emb.version, dimensions: emb.dimensions, loadMs: profile.elapsed() } };
    } catch (e) {
      const { code, reason } = failure(e, 'embedder');
      return { ok: true, models: { ...s.models, embedder: missingEmbedder(reason), embedderState: { state: 'failed', code, reason } } };
    }
  });
  return { first, all, profile };
}

/** The models with one of them replaced by a loaded (verified, warmed) version from the region. */
export function withModel(current: EdgeModels, next: LoadedClassifier | LoadedEmbedder, loadMs: number): EdgeModels {
  if ('classifier' in next) {
    return { ...current, classifier: next.classifier, manifests: { ...current.manifests, classifier: next.manifest }, sources: { ...current.sources, classifier: 'region' }, classifierVersion: next.version, loadMs, profile: undefined };
  }
  return {
    ...current,
    embedder: next.embedder,
    embedderState: { state: 'ready' },
    manifests: { ...current.manifests, embedder: next.manifest },
    sources: { ...current.sources, embedder: 'region' },
    embedderVersion: next.version,
    dimensions: next.dimensions,
    loadMs,
    profile: undefined,
  };
}

/** Makes `next` the models new requests get (requests in flight finish on what they have). */
export function replaceModels(next: EdgeModels): void {
  state = Promise.resolve({ ok: true, models: next });
  edgeMetrics.modelLoaded('classifier', next.classifierVersion, next.sources.classifier);
  if (next.embedderState.state === 'ready') edgeMetrics.modelLoaded('embedder', next.embedderVersion, next.sources.embedder);
}
