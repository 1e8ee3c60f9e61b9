/**
 * Loads a Switchyard model folder in Node with onnxruntime-node: every file is checked against
 * manifest.json first, and a mismatch refuses the load with ModelIntegrityError.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { IntentClassifier, type ClassifierCalibration } from '../../shared/models/intent-classifier.ts';
import { readVerified, type ModelManifest } from '../../shared/models/manifest.ts';
import type { OrtSession, OrtTensorConstructor } from '../../shared/models/onnx-session.ts';
import { SentenceEmbedder } from '../../shared/models/sentence-embedder.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../../shared/tokenizer/wordpiece.ts';

export const ONNX_PATH = 'onnx/model_quantized.onnx';

export interface LoadedFolder {
  manifest: ModelManifest;
  config: Record<string, any>;
  tokenizer: WordPieceTokenizer;
  onnx: Uint8Array;
}

export async function loadModelFolder(dir: string): Promise<LoadedFolder> {
  const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8')) as ModelManifest;
  const files = await readVerified(manifest, async (p) => new Uint8Array(await readFile(join(dir, p))));
  const text = (p: string) => {
    const bytes = files.get(p);
    if (!bytes) throw new Error(`${dir}: manifest lists no ${p}`);
    return JSON.parse(new TextDecoder().decode(bytes));
  };
  const tokConfig = text('tokenizer_config.json');
  const tokenizer = new WordPieceTokenizer(text('tokenizer.json') as TokenizerJson, { maxLength: tokConfig.model_max_length });
  const onnx = files.get(ONNX_PATH);
  if (!onnx) throw new Error(`${dir}: manifest lists no ${ONNX_PATH}`);
  return { manifest, config: text('config.json'), tokenizer, onnx };
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

export async function loadIntentClassifier(dir: string, threads = 1): Promise<IntentClassifier & { manifest: ModelManifest }> {
  const f = await loadModelFolder(dir);
  const labels = Object.keys(f.config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => f.config.id2label[k] as string);
  const calibration = f.config.switchyard as ClassifierCalibration;
  const clf = new IntentClassifier(f.tokenizer, await nodeSession(f.onnx, threads), Tensor, labels, calibration);
  return Object.assign(clf, { manifest: f.manifest });
}

export async function loadSentenceEmbedder(dir: string, threads = 1): Promise<SentenceEmbedder & { manifest: ModelManifest }> {
  const f = await loadModelFolder(dir);
  const emb = new SentenceEmbedder(f.tokenizer, await nodeSession(f.onnx, threads), Tensor);
  return Object.assign(emb, { manifest: f.manifest });
}
