/**
 * Model loaders over any onnxruntime and any byte source. A tier binds its runtime once (in Node:
 * onnxruntime-node and the file system) and gets loaders for a verified folder, an intent
 * classifier, a sentence embedder and a cross-encoder. A folder whose files do not match its
 * manifest.json is refused (ModelIntegrityError) before any session is made.
 */
import { CrossEncoder, type CrossEncoderOptions } from './cross-encoder.ts';
import { IntentClassifier } from './intent-classifier.ts';
import type { ModelManifest } from './manifest.ts';
import { classifierLabels, openModelFolder, type LoadedFolder } from './model-folder.ts';
import type { OrtSession, OrtTensorConstructor } from './onnx-session.ts';
import { SentenceEmbedder } from './sentence-embedder.ts';

/** What a runtime lends the loaders. */
export interface LoaderRuntime {
  /** The bytes of a file in a model folder (`path` relative to the folder `dir`). */
  read(dir: string, path: string): Promise<Uint8Array>;
  session(onnx: Uint8Array, threads: number): Promise<OrtSession>;
  Tensor: OrtTensorConstructor;
  /** Frees a session's native memory; it must not run again after. */
  release(session: OrtSession): Promise<void>;
}

/** Session options for a CPU session of these small models: sequential, `threads` intra-op threads. */
export function cpuSessionOptions(threads: number) {
  return { intraOpNumThreads: threads, interOpNumThreads: 1, executionMode: 'sequential', graphOptimizationLevel: 'all' } as const;
}

export type Releasable = { manifest: ModelManifest; release(): Promise<void> };

export function modelLoaders(rt: LoaderRuntime) {
  async function loadModelFolder(dir: string): Promise<LoadedFolder> {
    const manifest = JSON.parse(new TextDecoder().decode(await rt.read(dir, 'manifest.json'))) as ModelManifest;
    return openModelFolder(manifest, (p) => rt.read(dir, p), dir);
  }
  const releaser = (session: OrtSession) => ({ release: () => rt.release(session) });

  async function loadIntentClassifier(dir: string, threads = 1): Promise<IntentClassifier & Releasable> {
    const f = await loadModelFolder(dir);
    const { labels, calibration } = classifierLabels(f.config);
    const session = await rt.session(f.onnx, threads);
    const clf = new IntentClassifier(f.tokenizer, session, rt.Tensor, labels, calibration);
    return Object.assign(clf, { manifest: f.manifest }, releaser(session));
  }

  async function loadSentenceEmbedder(dir: string, threads = 1): Promise<SentenceEmbedder & Releasable> {
    const f = await loadModelFolder(dir);
    const session = await rt.session(f.onnx, threads);
    const emb = new SentenceEmbedder(f.tokenizer, session, rt.Tensor);
    return Object.assign(emb, { manifest: f.manifest }, releaser(session));
  }

  async function loadCrossEncoder(dir: string, threads = 1, options: CrossEncoderOptions = {}): Promise<CrossEncoder & Releasable> {
    const f = await loadModelFolder(dir);
    if (f.manifest.kind !== 'cross-encoder') throw new Error(`${dir}: manifest kind is ${f.manifest.kind}, not cross-encoder`);
    const session = await rt.session(f.onnx, threads);
    const ce = new CrossEncoder(f.tokenizer, session, rt.Tensor, options);
    return Object.assign(ce, { manifest: f.manifest }, releaser(session));
  }

  return { loadModelFolder, loadIntentClassifier, loadSentenceEmbedder, loadCrossEncoder };
}
