/**
 * The store domain's files as the regional service reads them (domains/kitsune-books/): its
 * labelled intents and its knowledge base. Reading only; the shapes and parsing are shared.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { FaqEntry } from '../../../shared/answers/template-answers.ts';
import { datasetOf, type Dataset } from '../../../shared/domain/labelled-examples.ts';
import { policySectionsOf, type CatalogItem, type PolicySection } from '../../../shared/domain/store-kb.ts';

export const STORE_DIR = resolve(import.meta.dirname, '../../../domains/kitsune-books');
export const STORE_KB_DIR = join(STORE_DIR, 'kb');
export const STORE_INTENTS_DIR = join(STORE_DIR, 'intents');

/** A folder of train.jsonl, optional val.jsonl, test.jsonl. */
export function readJsonlDataset(dir: string, name: string = basename(resolve(dir))): Dataset {
  return datasetOf(name, (split) => {
    const file = join(dir, `${split}.jsonl`);
    return existsSync(file) ? { file, content: readFileSync(file, 'utf8') } : { file };
  });
}

export const storeIntents = (): Dataset => readJsonlDataset(STORE_INTENTS_DIR, 'store-intents');
/** The labelled messages of the pack in `dir` (its intents/ folder), named after the pack's folder. */
export const packIntents = (dir: string): Dataset => readJsonlDataset(join(dir, 'intents'), basename(resolve(dir)));
export const storeCatalog = (dir = STORE_KB_DIR): CatalogItem[] => JSON.parse(readFileSync(join(dir, 'catalog.json'), 'utf8'));
export const storeFaq = (dir = STORE_KB_DIR): FaqEntry[] => JSON.parse(readFileSync(join(dir, 'faq.json'), 'utf8'));
export const storePolicies = (dir = STORE_KB_DIR): PolicySection[] => policySectionsOf(readFileSync(join(dir, 'policies.md'), 'utf8'));
