/**
 * What the gate evaluates on, read from disk: the public benchmark sets in the shared data folder
 * (env `SWITCHYARD_DATA`, else `../shared/data` beside the repository), any dataset folder in a
 * supported layout, and a pack's held-out retrieval questions. Parsing is shared/eval's.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Dataset } from '../../../../shared/domain/labelled-examples.ts';
import { kbPassages } from '../../../../shared/domain/store-passages.ts';
import { catalogTextOf } from '../../../../shared/domain/store-kb.ts';
import { domainPack } from '../../domain/pack-files.ts';
import { parseBanking77Categories, parseBanking77Csv, parseClinc150, parseMrpc, parseStsb, type ParaphrasePair, type StsPair } from '../../../../shared/eval/benchmark-sets.ts';
import { storeRetrievalLists } from '../../../../shared/eval/store-retrieval.ts';
import { readJsonlDataset, storeCatalog, storeFaq, storePolicies } from '../../domain/store-files.ts';
import { loadSentenceEmbedder } from '../../inference/load-node.ts';

export const REPO_ROOT = resolve(import.meta.dirname, '../../../..');

function sharedData(...parts: string[]): string {
  const env = process.env.SWITCHYARD_DATA;
  const p = join(env && env.trim() !== '' ? resolve(env) : resolve(REPO_ROOT, '..', 'shared', 'data'), ...parts);
  if (!existsSync(p)) throw new Error(`shared data not found: ${p} (set SWITCHYARD_DATA or place the data at <repo>/../shared/data)`);
  return p;
}

const read = (file: string) => readFileSync(file, 'utf8');

export function loadMrpc(split: 'train' | 'test'): ParaphrasePair[] {
  const file = sharedData('mrpc', `msr_paraphrase_${split}.txt`);
  return parseMrpc(read(file), file);
}

export function loadStsb(split: 'train' | 'dev' | 'test'): StsPair[] {
  const file = sharedData('stsb', `sts-${split}.csv`);
  return parseStsb(read(file), file);
}

/** A dataset folder in any supported layout: JSONL splits, CLINC150 data_full.json, Banking77 CSVs. */
export function loadAnyDataset(dir: string): Dataset {
  if (existsSync(join(dir, 'train.jsonl'))) return readJsonlDataset(dir);
  if (existsSync(join(dir, 'data_full.json'))) return parseClinc150(read(join(dir, 'data_full.json')), join(dir, 'data_full.json'));
  if (existsSync(join(dir, 'train.csv')) && existsSync(join(dir, 'categories.json'))) {
    const categories = parseBanking77Categories(read(join(dir, 'categories.json')), join(dir, 'categories.json'));
    const split = (name: string) => parseBanking77Csv(read(join(dir, name)), join(dir, name), categories);
    return { name: 'banking77', train: split('train.csv'), test: split('test.csv') };
  }
  throw new Error(`${dir}: no train.jsonl, data_full.json (CLINC150) or train.csv + categories.json (Banking77) found`);
}

/** The pack's held-out retrieval questions (kb/questions.jsonl) with their first-stage lists, vectors from the embedder at `embedderDir`. */
export async function storeRetrievalListsWith(embedderDir: string, k: number, packDir: string) {
  const embedder = await loadSentenceEmbedder(embedderDir);
  try {
    const kb = join(packDir, 'kb');
    const passages = kbPassages(storeCatalog(kb), storePolicies(kb), storeFaq(kb), catalogTextOf(domainPack(packDir).domain));
    return await storeRetrievalLists({ passages, questionsJsonl: read(join(kb, 'questions.jsonl')), embedder }, k);
  } finally {
    await embedder.release();
  }
}
