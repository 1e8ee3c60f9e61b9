/**
 * Loads a Switchyard model folder in Node with onnxruntime-node: every file is checked against
 * manifest.json first, and a mismatch refuses the load with ModelIntegrityError.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { CrossEncoder, type CrossEncoderOptions } from '../../shared/models/cross-encoder.ts';
import { IntentClassifier } from '../../shared/models/intent-classifier.ts';
import type { ModelManifest } from '../../shared/models/manifest.ts';
import { classifierLabels, openModelFolder, type LoadedFolder } from '../../shared/models/model-folder.ts';
import type { OrtSession, OrtTensorConstructor } from '../../shared/models/onnx-session.ts';
import { SentenceEmbedder } from '../../shared/models/sentence-embedder.ts';

export { ONNX_PATH, type LoadedFolder } from '../../shared/models/model-folder.ts';

export async function loadModelFolder(dir: string): Promise<LoadedFolder> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  return openModelFolder(manifest, async (p) => new Uint8Array(await readFile(join(dir, p))), dir);
}

export async function nodeSession(onnx: Uint8Array, threads = 1): Promise<OrtSession> {
  return ort.InferenceSession.create(onnx, {
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  }) as unknown as Promise<OrtSession>;
}

const Tensor = ort.Tensor as unknown as OrtTensorConstructor;

/** Frees a session made by nodeSession (its native memory); it must not run again after. */
const releaser = (session: OrtSession) => ({ release: () => (session as unknown as ort.InferenceSession).release() });

type Releasable = { manifest: ModelManifest; release(): Promise<void> };

export async function loadIntentClassifier(dir: string, threads = 1): Promise<IntentClassifier & Releasable> {
  const f = await loadModelFolder(dir);
  const { labels, calibration } = classifierLabels(f.config);
  const session = await nodeSession(f.onnx, threads);
  const clf = new IntentClassifier(f.tokenizer, session, Tensor, labels, calibration);
  return Object.assign(clf, { manifest: f.manifest }, releaser(session));
}

export async function loadSentenceEmbedder(dir: string, threads = 1): Promise<SentenceEmbedder & Releasable> {
  const f = await loadModelFolder(dir);
  const session = await nodeSession(f.onnx, threads);
  const emb = new SentenceEmbedder(f.tokenizer, session, Tensor);
  return Object.assign(emb, { manifest: f.manifest }, releaser(session));
}

export async function loadCrossEncoder(
  dir: string,
  threads = 1,
  options: CrossEncoderOptions = {},
): Promise<CrossEncoder & Releasable> {
  const f = await loadModelFolder(dir);
  if (f.manifest.kind !== 'cross-encoder') throw new Error(`${dir}: manifest kind is ${f.manifest.kind}, not cross-encoder`);
  const session = await nodeSession(f.onnx, threads);
  const ce = new CrossEncoder(f.tokenizer, session, Tensor, options);
  return Object.assign(ce, { manifest: f.manifest }, releaser(session));
}
