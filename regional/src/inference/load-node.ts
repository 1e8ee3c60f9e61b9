/**
 * Loads a Switchyard model folder in the regional service with onnxruntime-node: every file is
 * checked against manifest.json first, and a mismatch refuses the load with ModelIntegrityError.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { cpuSessionOptions, modelLoaders } from '../../../shared/models/folder-loaders.ts';
import type { OrtSession, OrtTensorConstructor } from '../../../shared/models/onnx-session.ts';

export { ONNX_PATH, type LoadedFolder } from '../../../shared/models/model-folder.ts';

export const nodeSession = (onnx: Uint8Array, threads = 1): Promise<OrtSession> =>
  ort.InferenceSession.create(onnx, cpuSessionOptions(threads)) as unknown as Promise<OrtSession>;

export const { loadModelFolder, loadIntentClassifier, loadSentenceEmbedder, loadCrossEncoder } = modelLoaders({
  read: async (dir, path) => new Uint8Array(await readFile(join(dir, path))),
  session: nodeSession,
  Tensor: ort.Tensor as unknown as OrtTensorConstructor,
  release: (session) => (session as unknown as ort.InferenceSession).release(),
});
