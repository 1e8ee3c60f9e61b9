/**
 * Opens a Switchyard/HF model folder from any byte source (files in Node, static assets in a
 * Worker, fetched assets in a browser): every file is checked against manifest.json first, and a
 * mismatch refuses the load with ModelIntegrityError.
 */
import { readVerified, type ModelManifest } from './manifest.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../tokenizer/wordpiece.ts';
import type { ClassifierCalibration } from './intent-classifier.ts';

export const ONNX_PATH = 'onnx/model_quantized.onnx';
/**
 * The same graph with onnxruntime's graph optimisations applied at build time (the edge's assets
 * have it, scripts/optimized-graph.ts; model folders do not): a runtime loads it with its own
 * optimisations off, same outputs, a cheaper first session. Where a manifest lists it, it is the
 * graph to load, and the plain one need not be read.
 */
export const OPTIMIZED_ONNX_PATH = 'onnx/model_quantized_optimized.onnx';

export interface LoadedFolder {
  manifest: ModelManifest;
  config: Record<string, any>;
  tokenizer: WordPieceTokenizer;
  /** The graph to load: the optimised one where the manifest lists it (`preOptimized`), else the plain one. */
  onnx: Uint8Array;
  preOptimized: boolean;
}

/** The files of a folder a runtime loads: all it lists, less the plain graph when the optimised one is there. */
export function filesToLoad(manifest: ModelManifest): string[] {
  const paths = Object.keys(manifest.files).sort();
  return manifest.files[OPTIMIZED_ONNX_PATH] ? paths.filter((p) => p !== ONNX_PATH) : paths;
}

export async function openModelFolder(
  manifest: ModelManifest,
  read: (path: string) => Promise<Uint8Array>,
  where = manifest.name,
): Promise<LoadedFolder> {
  return folderOf(manifest, await readVerified(manifest, read), where);
}

/**
 * Tokenizers already parsed, by the sha256 of their tokenizer.json and tokenizer_config.json: the
 * models of one domain share their vocabulary, and an 850 KB tokenizer.json is parsed only once.
 */
export type TokenizerCache = Map<string, WordPieceTokenizer>;

/**
 * A folder from files already checked against its manifest (every path of `manifest.files`, e.g.
 * by readVerified): parses its config and tokenizer (from `tokenizers` when another folder had
 * the same files) and hands back the graph's bytes as they are, uncopied.
 */
export function folderOf(manifest: ModelManifest, files: ReadonlyMap<string, Uint8Array>, where = manifest.name, tokenizers?: TokenizerCache): LoadedFolder {
  const json = (p: string) => {
    const bytes = files.get(p);
    if (!bytes) throw new Error(`${where}: manifest lists no ${p}`);
    return JSON.parse(new TextDecoder().decode(bytes));
  };
  const key = `${manifest.files['tokenizer.json']}:${manifest.files['tokenizer_config.json']}`;
  let tokenizer = tokenizers?.get(key);
  if (!tokenizer) {
    const tokConfig = json('tokenizer_config.json');
    tokenizer = new WordPieceTokenizer(json('tokenizer.json') as TokenizerJson, { maxLength: tokConfig.model_max_length });
    tokenizers?.set(key, tokenizer);
  }
  const preOptimized = manifest.files[OPTIMIZED_ONNX_PATH] !== undefined;
  const graph = preOptimized ? OPTIMIZED_ONNX_PATH : ONNX_PATH;
  const onnx = files.get(graph);
  if (!onnx) throw new Error(`${where}: manifest lists no ${graph}`);
  return { manifest, config: json('config.json'), tokenizer, onnx, preOptimized };
}

/** Labels in id order and the calibration block of a classifier folder's config.json. */
export function classifierLabels(config: Record<string, any>): { labels: string[]; calibration: ClassifierCalibration } {
  const labels = Object.keys(config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => config.id2label[k] as string);
  return { labels, calibration: config.switchyard as ClassifierCalibration };
}
