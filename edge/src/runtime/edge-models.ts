/**
 * Loads the bundled classifier and embedder once per isolate: every file is sha256-checked
 * against its manifest, sessions are created on onnxruntime-web (WASM, one thread) and warmed
 * with a few synthetic requests before the first real one. A failure is remembered, not thrown:
 * the edge keeps serving without models (every message goes to the region, marked so).
 */
import { IntentClassifier } from '../../../shared/models/intent-classifier.ts';
import type { ModelManifest } from '../../../shared/models/manifest.ts';
import { classifierLabels, openModelFolder } from '../../../shared/models/model-folder.ts';
import { SentenceEmbedder } from '../../../shared/models/sentence-embedder.ts';
import { bundledClassifier, bundledEmbedder, type BundledFolder } from './bundled-models.ts';
import { Tensor, workerdSession } from './ort-workerd.ts';

export interface EdgeModels {
  classifier: IntentClassifier;
  embedder: SentenceEmbedder;
  manifests: { classifier: ModelManifest; embedder: ModelManifest };
  /** "name@version" of the classifier (route events) and of the embedder (cache keys). */
  classifierVersion: string;
  embedderVersion: string;
  dimensions: number;
  loadMs: number;
}

export type ModelState = { ok: true; models: EdgeModels } | { ok: false; code: string; reason: string };

const WARMUP = ['hi there', 'do you ship to canada', 'where is my order KB-12345', 'is berserk deluxe vol 1 in stock'];

let state: Promise<ModelState> | null = null;

export function edgeModels(enabled: boolean): Promise<ModelState> {
  if (!enabled) return Promise.resolve({ ok: false, code: 'MODELS_DISABLED', reason: 'EDGE_MODELS is off' });
  state ??= load();
  return state;
}

async function open(folder: BundledFolder) {
  const manifest = JSON.parse(new TextDecoder().decode(folder.files['manifest.json'])) as ModelManifest;
  return openModelFolder(manifest, async (p) => {
    const b = folder.files[p];
    if (!b) throw new Error(`${manifest.name}: ${p} is not bundled`);
    return new Uint8Array(b);
  });
}

async function load(): Promise<ModelState> {
  const t0 = Date.now();
  try {
    const [clf, emb] = await Promise.all([open(bundledClassifier), open(bundledEmbedder)]);
    const { labels, calibration } = classifierLabels(clf.config);
    const classifier = new IntentClassifier(clf.tokenizer, await workerdSession(clf.onnx), Tensor, labels, calibration);
    const embedder = new SentenceEmbedder(emb.tokenizer, await workerdSession(emb.onnx), Tensor);
    await classifier.classify(WARMUP);
    const [probe] = await embedder.embed(WARMUP);
    for (const t of WARMUP) await classifier.classify([t]);
    return {
      ok: true,
      models: {
        classifier,
        embedder,
        manifests: { classifier: clf.manifest, embedder: emb.manifest },
        classifierVersion: `${clf.manifest.name}@${clf.manifest.version}`,
        embedderVersion: `${emb.manifest.name}@${emb.manifest.version}`,
        dimensions: probe.length,
        loadMs: Date.now() - t0,
      },
    };
  } catch (e) {
    const err = e as Error & { code?: string };
    console.error('edge models failed to load; serving without them:', err.message);
    return { ok: false, code: err.code ?? 'MODEL_LOAD_FAILED', reason: err.message };
  }
}
