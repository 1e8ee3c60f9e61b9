/**
 * Build time: loads model folders in Node with onnxruntime-node to evaluate, calibrate and check
 * what the pipeline built (the regional service has its own binding in regional/src/inference/).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cpuSessionOptions, modelLoaders } from '../../shared/models/folder-loaders.ts';
import type { OrtSession, OrtTensorConstructor } from '../../shared/models/onnx-session.ts';

export function nodeSession(onnx: Uint8Array, threads = 1): Promise<OrtSession> {
  return ort.InferenceSession.create(onnx, cpuSessionOptions(threads)) as unknown as Promise<OrtSession>;
}

const files = async (dir: string, path: string) => new Uint8Array(await readFile(join(dir, path)));
const runtime = { read: files, session: nodeSession, Tensor: ort.Tensor as unknown as OrtTensorConstructor };

export const { loadModelFolder, loadIntentClassifier, loadSentenceEmbedder, loadCrossEncoder } = modelLoaders({
  ...runtime,
  release: (s: OrtSession) => (s as unknown as ort.InferenceSession).release(),
});
