/**
 * The edge's classifier and embedder. Each isolate loads the deployed ones on its first request
 * (never in global scope): the domain's model files come from the Worker's static assets
 * (asset-models.ts), every file is sha256-checked against its manifest, sessions are created on
 * onnxruntime-web (WASM, one thread) and warmed with a few synthetic requests before the first
 * real one. A failure is remembered,
 * not thrown: the edge keeps serving without models (every message goes to the region, marked so).
 * Later, the refresher (model-refresh.ts) may load a version promoted in the region's registry
 * with the same loaders and swap it in with replaceModel().
 */
import { IntentClassifier, type ClassifierCalibration, type IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import type { ModelManifest } from '../../../shared/models/manifest.ts';
import { classifierLabels, openModelFolder } from '../../../shared/models/model-folder.ts';
import { SentenceEmbedder } from '../../../shared/models/sentence-embedder.ts';
import { applyRoutingConfig } from '../../../shared/routing/routing-config.ts';
import { bundledDomain } from '../domain/bundled-domain.ts';
import { edgeMetrics } from '../http/metrics.ts';
import { assetFolder } from './asset-models.ts';
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

export interface EdgeModels {
  classifier: EdgeClassifier;
  embedder: EdgeEmbedder;
  manifests: { classifier: ModelManifest; embedder: ModelManifest };
  /** Where each model came from: deployed with the Worker ("bundled": its static assets), or downloaded from the region's registry. */
  sources: { classifier: ModelSource; embedder: ModelSource };
  /** "name@version" of the classifier (route events) and of the embedder (cache keys). */
  classifierVersion: string;
  embedderVersion: string;
  dimensions: number;
  loadMs: number;
}

export type ModelState = { ok: true; models: EdgeModels } | { ok: false; code: string; reason: string };

/** A model folder as its manifest and a reader of its files' bytes (checked against the manifest when opened). */
export interface FolderSource {
  manifest: ModelManifest;
  read(path: string): Promise<Uint8Array>;
}

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

const WARMUP = ['hi there', 'do you ship to canada', 'where is my order KB-12345', 'is berserk deluxe vol 1 in stock'];

let state: Promise<ModelState> | null = null;

/** The bindings the models need: EDGE_MODELS ("off" serves without them) and ASSETS (their files). */
export interface ModelEnv {
  EDGE_MODELS?: string;
  ASSETS?: Fetcher;
}

export function edgeModels(env: ModelEnv): Promise<ModelState> {
  if ((env.EDGE_MODELS ?? 'on') === 'off') return Promise.resolve({ ok: false, code: 'MODELS_DISABLED', reason: 'EDGE_MODELS is off' });
  state ??= load(env.ASSETS);
  return state;
}

/** Verifies, opens and warms a classifier folder; its calls are metered under its version. */
export async function loadClassifier(src: FolderSource): Promise<LoadedClassifier> {
  const f = await openModelFolder(src.manifest, src.read);
  const { labels, calibration: own } = classifierLabels(f.config);
  const version = `${f.manifest.name}@${f.manifest.version}`;
  // The pack's tuned per-intent thresholds, when they were tuned for this very version.
  const { calibration } = applyRoutingConfig(own, bundledDomain.routingConfig, version);
  const clf = new IntentClassifier(f.tokenizer, await workerdSession(f.onnx), Tensor, labels, calibration);
  checkPredictions(await clf.classify(WARMUP), clf.labels, src.manifest);
  for (const t of WARMUP) await clf.classify([t]);
  return {
    classifier: { labels: clf.labels, calibration: clf.calibration, classify: edgeMetrics.meter('classifier', version, (t: string[]) => clf.classify(t)), logits: (t) => clf.logits(t), knowsAWord: (t) => clf.tokenizer.knowsAWord(t) },
    manifest: f.manifest,
    version,
  };
}

/** Verifies, opens and warms an embedder folder; its calls are metered under its version. */
export async function loadEmbedder(src: FolderSource): Promise<LoadedEmbedder> {
  const f = await openModelFolder(src.manifest, src.read);
  const emb = new SentenceEmbedder(f.tokenizer, await workerdSession(f.onnx), Tensor);
  const vectors = await emb.embed(WARMUP);
  // Requests embed one text at a time: warm that shape too, as the classifier is.
  for (const t of WARMUP) await emb.embed([t]);
  const probe = vectors[0];
  if (!probe?.length || vectors.some((v) => v.length !== probe.length || !v.every(Number.isFinite))) {
    throw new Error(`${src.manifest.name}@${src.manifest.version}: the embedder's warm-up vectors are empty, uneven or not finite`);
  }
  const version = `${f.manifest.name}@${f.manifest.version}`;
  return { embedder: { embed: edgeMetrics.meter('embedder', version, (t: string[]) => emb.embed(t)) }, manifest: f.manifest, version, dimensions: probe.length };
}

/** A classifier whose warm-up outputs are not probabilities over its own labels is refused. */
function checkPredictions(preds: IntentPrediction[], labels: readonly string[], m: ModelManifest): void {
  const bad = preds.find((p) => !labels.includes(p.topLabel) || !(p.confidence >= 0 && p.confidence <= 1 + 1e-6));
  if (preds.length !== WARMUP.length || bad) throw new Error(`${m.name}@${m.version}: the classifier's warm-up outputs are not valid predictions`);
}

async function load(assets: Fetcher | undefined): Promise<ModelState> {
  const t0 = Date.now();
  try {
    const [clfSrc, embSrc] = await Promise.all([assetFolder(assets, 'classifier'), assetFolder(assets, 'embedder')]);
    const [clf, emb] = await Promise.all([loadClassifier(clfSrc), loadEmbedder(embSrc)]);
    edgeMetrics.modelLoaded('classifier', clf.version, 'bundled');
    edgeMetrics.modelLoaded('embedder', emb.version, 'bundled');
    return {
      ok: true,
      models: {
        classifier: clf.classifier,
        embedder: emb.embedder,
        manifests: { classifier: clf.manifest, embedder: emb.manifest },
        sources: { classifier: 'bundled', embedder: 'bundled' },
        classifierVersion: clf.version,
        embedderVersion: emb.version,
        dimensions: emb.dimensions,
        loadMs: Date.now() - t0,
      },
    };
  } catch (e) {
    const err = e as Error & { code?: string };
    console.error('edge models failed to load; serving without them:', err.message);
    return { ok: false, code: err.code ?? 'MODEL_LOAD_FAILED', reason: err.message };
  }
}

/** The models with one of them replaced by a loaded (verified, warmed) version from the region. */
export function withModel(current: EdgeModels, next: LoadedClassifier | LoadedEmbedder, loadMs: number): EdgeModels {
  if ('classifier' in next) {
    return { ...current, classifier: next.classifier, manifests: { ...current.manifests, classifier: next.manifest }, sources: { ...current.sources, classifier: 'region' }, classifierVersion: next.version, loadMs };
  }
  return {
    ...current,
    embedder: next.embedder,
    manifests: { ...current.manifests, embedder: next.manifest },
    sources: { ...current.sources, embedder: 'region' },
    embedderVersion: next.version,
    dimensions: next.dimensions,
    loadMs,
  };
}

/** Makes `next` the models new requests get (requests in flight finish on what they have). */
export function replaceModels(next: EdgeModels): void {
  state = Promise.resolve({ ok: true, models: next });
  edgeMetrics.modelLoaded('classifier', next.classifierVersion, next.sources.classifier);
  edgeMetrics.modelLoaded('embedder', next.embedderVersion, next.sources.embedder);
}
