/**
 * Candidate classifier folders for rollout tests, made from the real store data and pipeline:
 * the store classifier retrained with another seed, one trained on shuffled labels (a real
 * regression: it disagrees with the control), one whose tokenizer maps a word past the embedding
 * table (onnxruntime fails on every message with that word), and copies under another version.
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadJsonlDataset, mulberry32 } from '../../models/pipeline/datasets.ts';
import { loadBaseVectors, trainIntentModel, writeIntentFolder } from '../../models/pipeline/intent-model.ts';
import { writeManifest } from '../../models/pipeline/manifest-writer.ts';
import { registerModelFolder } from '../../regional/src/ops/register-folder.ts';
import type { ModelRegistryStore } from '../../regional/src/store/types.ts';

export const ROOT = resolve(import.meta.dirname, '../..');
export const DEFAULT_CLASSIFIER = join(ROOT, 'models/default/store-intent');
export const CLASSIFIER_NAME: string = JSON.parse(readFileSync(join(DEFAULT_CLASSIFIER, 'manifest.json'), 'utf8')).name;

/** The store classifier retrained (seed), or on labels shuffled among the training examples. */
export async function trainedCandidate(out: string, version: string, opts: { seed: number; shuffleLabels?: boolean }): Promise<string> {
  const ds = loadJsonlDataset(join(ROOT, 'domains/kitsune-books/intents'));
  let train = ds.train;
  if (opts.shuffleLabels) {
    const rnd = mulberry32(opts.seed);
    const labels = train.map((e) => e.label);
    for (let i = labels.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [labels[i], labels[j]] = [labels[j], labels[i]];
    }
    train = train.map((e, i) => ({ ...e, label: labels[i] }));
  }
  const base = await loadBaseVectors(join(ROOT, 'models/default/embedder'));
  const model = await trainIntentModel({ ...ds, train }, base, { seed: opts.seed });
  await writeIntentFolder(out, model, base, { name: CLASSIFIER_NAME, version, metrics: {} });
  return out;
}

/** A copy of `from` whose tokenizer sends `word` to an id past the embedding table: classifying any text with it fails in onnxruntime. */
export async function brokenCandidate(from: string, out: string, version: string, word: string): Promise<string> {
  cpSync(from, out, { recursive: true });
  const tok = JSON.parse(readFileSync(join(out, 'tokenizer.json'), 'utf8'));
  if (tok.model.vocab[word] === undefined) throw new Error(`${word} is not in the vocabulary`);
  tok.model.vocab[word] = 10_000_000;
  writeFileSync(join(out, 'tokenizer.json'), JSON.stringify(tok));
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  await writeManifest(out, { ...m, version });
  return out;
}

/** A copy of the committed classifier under another version (manifest.json is not hashed). */
export function copiedCandidate(out: string, version: string): string {
  cpSync(DEFAULT_CLASSIFIER, out, { recursive: true });
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  writeFileSync(join(out, 'manifest.json'), JSON.stringify({ ...m, version }));
  return out;
}

/** Registers a folder (no drift baseline) and moves it to `stage` (staging: past the evaluation gate). */
export async function registerAt(reg: ModelRegistryStore, folder: string, stage: 'dev' | 'staging' = 'staging'): Promise<void> {
  const { record } = await registerModelFolder(reg, folder, { registeredBy: 'test', baselineData: null });
  if (stage === 'staging') await reg.setStage(record.name, record.version, 'staging', { actor: 'test', reason: 'passed the gate' });
}

/** Flips one byte of a registered folder's file: its sha256 no longer matches the registry's. */
export function tamper(folder: string, file = 'onnx/model_quantized.onnx'): void {
  const p = join(folder, file);
  const bytes = readFileSync(p);
  bytes[bytes.length >> 1] ^= 1;
  writeFileSync(p, bytes);
}
