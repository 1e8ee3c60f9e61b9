/**
 * In-process models through @huggingface/transformers (onnxruntime-node), from HF-format folders:
 * the committed defaults, or any real model folder a user points the service at (a MiniLM
 * embedder, an ms-marco cross-encoder) with no code change. Folders that carry a Switchyard
 * manifest.json are sha256-checked before loading and run on the same onnxruntime-node session
 * through the shared tokenizer (same ids as transformers.js, tested; about 5× less overhead per
 * call); foreign folders are loaded by transformers.js as they are.
 */
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AutoModelForSequenceClassification, AutoTokenizer, env as hfEnv, pipeline } from '@huggingface/transformers';
import { decideIntent, type ClassifierCalibration, type IntentPrediction } from '../../../shared/models/intent-classifier.ts';
import { readVerified, type ModelManifest } from '../../../shared/models/manifest.ts';
import { loadCrossEncoder, loadIntentClassifier, loadSentenceEmbedder } from './load-node.ts';
import { estimateTokens, runByLength } from './length-groups.ts';

export interface LoadedModelInfo {
  name: string;
  version: string;
  path: string;
  sha256: string | null;
  verified: boolean;
  runtime: 'switchyard' | 'transformers.js';
}

/** The manifest kind of a Switchyard folder, or null for a foreign HF folder. */
function switchyardManifest(dir: string): ModelManifest | null {
  const p = join(resolve(dir), 'manifest.json');
  return existsSync(p) ? (JSON.parse(readFileSync(p, 'utf8')) as ModelManifest) : null;
}

function switchyardInfo(dir: string, m: ModelManifest): LoadedModelInfo {
  return { name: m.name, version: m.version, path: resolve(dir), sha256: m.files['onnx/model_quantized.onnx'] ?? null, verified: true, runtime: 'switchyard' };
}

let loading: Promise<unknown> = Promise.resolve();

/** transformers.js resolves models against a global localModelPath, so loads run one at a time. */
async function withFolder<T>(dir: string, load: (id: string, dtype: 'q8' | 'fp32') => Promise<T>): Promise<{ value: T; info: LoadedModelInfo }> {
  const abs = resolve(dir);
  const run = loading.then(async () => {
    const info = await verifyFolder(abs);
    hfEnv.allowRemoteModels = false;
    hfEnv.allowLocalModels = true;
    hfEnv.useFSCache = false;
    hfEnv.localModelPath = dirname(abs) + '/';
    const dtype = onnxFileOf(abs).endsWith('model_quantized.onnx') ? 'q8' : 'fp32';
    return { value: await load(basename(abs), dtype), info };
  });
  loading = run.catch(() => undefined);
  return run;
}

/** The ONNX file transformers.js will load from a folder (q8 when there is one, as withFolder picks). */
const onnxFileOf = (abs: string) => join(abs, 'onnx', existsSync(join(abs, 'onnx', 'model_quantized.onnx')) ? 'model_quantized.onnx' : 'model.onnx');

async function sha256File(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function verifyFolder(abs: string): Promise<LoadedModelInfo> {
  const manifestPath = join(abs, 'manifest.json');
  if (!existsSync(manifestPath)) {
    // A foreign folder's version is its model file's hash: another model in a folder of the same
    // name is another version (its vectors are never mixed with this one's in the store).
    const onnx = onnxFileOf(abs);
    const sha256 = existsSync(onnx) ? await sha256File(onnx) : null;
    return { name: basename(abs), version: sha256 ? `external-${sha256.slice(0, 12)}` : 'external', path: abs, sha256, verified: false, runtime: 'transformers.js' };
  }
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as ModelManifest;
  await readVerified(manifest, async (p) => new Uint8Array(await readFile(join(abs, p))));
  return { name: manifest.name, version: manifest.version, path: abs, sha256: manifest.files['onnx/model_quantized.onnx'] ?? null, verified: true, runtime: 'transformers.js' };
}

const sessionOptions = (threads: number) => ({ session_options: { intraOpNumThreads: threads, interOpNumThreads: 1 } });

export interface HfEmbedder {
  info: LoadedModelInfo;
  dimensions: number;
  embed(texts: string[]): Promise<Float32Array[]>;
  /** Frees the model's sessions; it must not be called again after. */
  dispose(): Promise<void>;
}

export async function loadHfEmbedder(dir: string, threads = 1): Promise<HfEmbedder> {
  const own = switchyardManifest(dir);
  if (own?.kind === 'sentence-embedder') {
    const m = await loadSentenceEmbedder(dir, threads);
    const [probe] = await m.embed(['warm up']);
    return { info: switchyardInfo(dir, m.manifest), dimensions: probe.length, embed: (t) => m.embed(t), dispose: () => m.release() };
  }
  const { value: fe, info } = await withFolder(dir, (id, dtype) => pipeline('feature-extraction', id, { dtype, ...sessionOptions(threads) } as never));
  // A transformer's time grows with the padded batch: run texts of similar length together.
  const embed = (texts: string[]) =>
    runByLength(texts, (t) => estimateTokens(t.length), async (group) => {
      const t = await (fe as any)(group, { pooling: 'mean', normalize: true });
      const D = t.dims[1] as number;
      const data = t.data as Float32Array;
      return group.map((_, i) => data.slice(i * D, (i + 1) * D));
    });
  const [probe] = await embed(['warm up']);
  return { info, dimensions: probe.length, embed, dispose: () => (fe as any).dispose() };
}

export interface HfCrossEncoder {
  info: LoadedModelInfo;
  /** Relevance logits of (query, passage) pairs. */
  score(pairs: { query: string; passage: string }[]): Promise<Float32Array>;
  /** Frees the model's sessions; it must not be called again after. */
  dispose(): Promise<void>;
}

export async function loadHfCrossEncoder(dir: string, threads = 1): Promise<HfCrossEncoder> {
  const own = switchyardManifest(dir);
  if (own?.kind === 'cross-encoder') {
    const ce = await loadCrossEncoder(dir, threads);
    // Pairs of one batch may come from several requests: score each query's passages together.
    const score = async (pairs: { query: string; passage: string }[]) => {
      const out = new Float32Array(pairs.length);
      const byQuery = new Map<string, number[]>();
      pairs.forEach((p, i) => byQuery.set(p.query, [...(byQuery.get(p.query) ?? []), i]));
      for (const [query, idx] of byQuery) {
        const s = await ce.score(query, idx.map((i) => pairs[i].passage));
        idx.forEach((i, j) => (out[i] = s[j]));
      }
      return out;
    };
    await score([{ query: 'warm up', passage: 'warm up' }]);
    return { info: switchyardInfo(dir, ce.manifest), score, dispose: () => ce.release() };
  }
  const { value, info } = await withFolder(dir, async (id, dtype) => ({
    tokenizer: await AutoTokenizer.from_pretrained(id),
    model: await AutoModelForSequenceClassification.from_pretrained(id, { dtype, ...sessionOptions(threads) } as never),
  }));
  const score = async (pairs: { query: string; passage: string }[]) => {
    if (!pairs.length) return new Float32Array(0);
    const scores = await runByLength(pairs, (p) => estimateTokens(p.query.length + p.passage.length), async (group) => {
      const inputs = (value.tokenizer as any)(
        group.map((p) => p.query),
        { text_pair: group.map((p) => p.passage), padding: true, truncation: true },
      );
      const { logits } = await (value.model as any)(inputs);
      const C = logits.dims[1] as number;
      const data = logits.data as Float32Array;
      // One logit = relevance; two (not relevant, relevant) = their difference.
      return group.map((_, i) => (C === 1 ? data[i] : data[i * C + C - 1] - data[i * C]));
    });
    return Float32Array.from(scores);
  };
  await score([{ query: 'warm up', passage: 'warm up' }]);
  return { info, score, dispose: () => (value.model as any).dispose() };
}

export interface HfClassifier {
  info: LoadedModelInfo;
  labels: string[];
  /** The thresholds its predictions are decided with (config.json `switchyard`). */
  calibration: ClassifierCalibration;
  classify(texts: string[]): Promise<IntentPrediction[]>;
  /** Frees the model's sessions; it must not be called again after. */
  dispose(): Promise<void>;
}

export async function loadHfClassifier(dir: string, threads = 1): Promise<HfClassifier> {
  const own = switchyardManifest(dir);
  if (own?.kind === 'intent-classifier') {
    const clf = await loadIntentClassifier(dir, threads);
    await clf.classify(['warm up']);
    return { info: switchyardInfo(dir, clf.manifest), labels: clf.labels, calibration: clf.calibration, classify: (t) => clf.classify(t), dispose: () => clf.release() };
  }
  const { value, info } = await withFolder(dir, async (id, dtype) => ({
    tokenizer: await AutoTokenizer.from_pretrained(id),
    model: await AutoModelForSequenceClassification.from_pretrained(id, { dtype, ...sessionOptions(threads) } as never),
  }));
  const config = (value.model as any).config as { id2label: Record<string, string>; switchyard?: ClassifierCalibration };
  const labels = Object.keys(config.id2label)
    .sort((a, b) => Number(a) - Number(b))
    .map((k) => config.id2label[k]);
  const calibration: ClassifierCalibration = config.switchyard ?? { oosThreshold: 0.5, routeThreshold: 0.9 };
  const classify = (texts: string[]) =>
    runByLength(texts, (t) => estimateTokens(t.length), async (group) => {
      const inputs = (value.tokenizer as any)(group, { padding: true, truncation: true });
      const { logits } = await (value.model as any)(inputs);
      const C = labels.length;
      const data = logits.data as Float32Array;
      return group.map((_, b) => {
        const row = data.slice(b * C, (b + 1) * C);
        let arg = 0;
        for (let i = 1; i < C; i++) if (row[i] > row[arg]) arg = i;
        let sum = 0;
        for (let i = 0; i < C; i++) sum += Math.exp(row[i] - row[arg]);
        return decideIntent(labels[arg], 1 / sum, calibration);
      });
    });
  await classify(['warm up']);
  return { info, labels, calibration, classify, dispose: () => (value.model as any).dispose() };
}
