/**
 * The demo store's own data (domains/kitsune-books): intents and the knowledge base (kb/: catalog
 * titles, policies.md sections, FAQ entries), read and split in one place for the reranker's
 * passages (reranker-data.ts) and the regional retrieval documents (regional/src/retrieval/store-kb.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaqEntry } from '../../shared/answers/template-answers.ts';
import { policySectionsOf, type CatalogItem, type PolicySection } from '../../shared/domain/store-kb.ts';
import { loadJsonlDataset, repoRoot } from './datasets.ts';
import type { Dataset } from './types.ts';

export type { CatalogItem, FaqEntry, PolicySection };
export { policySectionsOf, slugify } from '../../shared/domain/store-kb.ts';

export function storeDir(): string {
  return join(repoRoot(), 'domains', 'kitsune-books');
}

export function storeKbDir(): string {
  return join(storeDir(), 'kb');
}

/**
 * The committed store classifier is the two-head default. The widget runs it on the visitor's
 * device within a 400 ms first-inference budget; on WebGPU (SwiftShader) the two-head graph once
 * took 1.2 s there, from shaders first compiled for a single row during that inference and a
 * CPU-only Sum node (fixed in device-models.ts and classifier-graph.ts; BENCHMARKS.md).
 */
export const STORE_CLASSIFIER = { heads: 2 } as const;

export function storeIntents(): Dataset {
  return loadJsonlDataset(join(storeDir(), 'intents'), 'store-intents');
}

export function storeCatalog(dir = storeKbDir()): CatalogItem[] {
  return JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8')) as CatalogItem[];
}

export function storeFaq(dir = storeKbDir()): FaqEntry[] {
  return JSON.parse(readFileSync(join(dir, 'faq.json'), 'utf8')) as FaqEntry[];
}

export function storePolicies(dir = storeKbDir()): PolicySection[] {
  return policySectionsOf(readFileSync(join(dir, 'policies.md'), 'utf8'));
}

/**
 * The store domain's texts the default embedder's vocabulary and corpus are built from: the train
 * and validation utterances, catalog, policies and FAQ. The test split is left out so that the test
 * figures measure words and phrasings the models never saw.
 */
export function storeTexts(): string[] {
  const ds = storeIntents();
  const policies = readFileSync(join(storeKbDir(), 'policies.md'), 'utf8').split(/\n+/).filter((l) => l.trim());
  return [
    ...[...ds.train, ...(ds.val ?? [])].map((e) => e.text),
    ...storeCatalog().flatMap((c) => [String(c.title), String(c.author), String(c.description), ...(c.genre ?? [])]),
    ...storeFaq().flatMap((f) => [f.question, f.answer]),
    ...policies,
  ];
}
