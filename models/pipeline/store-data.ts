/**
 * The demo store's own data (domains/kitsune-books): intents and the knowledge base (kb/: catalog
 * titles, policies.md sections, FAQ entries), read and split in one place for the reranker's
 * passages (reranker-data.ts) and the regional retrieval documents (regional/src/retrieval/store-kb.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FaqEntry } from '../../shared/answers/template-answers.ts';
import { loadJsonlDataset, repoRoot } from './datasets.ts';
import type { Dataset } from './types.ts';

export type { FaqEntry };

export interface CatalogItem {
  id: string;
  title: string;
  author: string;
  type: 'manga' | 'light_novel' | 'graphic_novel' | 'book';
  genre: string[];
  volume: number | null;
  format: string;
  language: string;
  ageRating: string;
  priceUsd: number;
  stock: number;
  preorder: boolean;
  releaseDate?: string;
  description: string;
}

/** One heading of policies.md and what stands under it up to the next `#` or `##` heading. */
export interface PolicySection {
  /** 1: the `#` title and its preamble; 2: a `##` section, its `###` subsections included. */
  level: 1 | 2;
  /** The heading's text ("Returns & Refunds"). */
  heading: string;
  /** The section's lines as written, its heading line first. */
  lines: string[];
}

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

/** The README's slug rule for a policies.md heading: lowercase, each run of non-alphanumerics → "-", trim "-". */
export function slugify(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The `#` and `##` sections of a markdown text (headings inside ``` or ~~~ fences do not count; text before the first heading is dropped). */
export function policySectionsOf(markdown: string): PolicySection[] {
  const out: PolicySection[] = [];
  let current: PolicySection | undefined;
  let inFence = false;
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = inFence ? null : /^(#{1,2})\s+(.+?)\s*$/.exec(line);
    if (h) {
      current = { level: h[1].length as 1 | 2, heading: h[2], lines: [line] };
      out.push(current);
    } else current?.lines.push(line);
  }
  return out;
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
