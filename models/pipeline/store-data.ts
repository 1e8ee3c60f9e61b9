/** The demo store's own data (models/data/store): intents and knowledge base texts. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadJsonlDataset, repoRoot } from './datasets.ts';
import type { Dataset } from './types.ts';

export function storeDir(): string {
  return join(repoRoot(), 'models', 'data', 'store');
}

export function storeIntents(): Dataset {
  return loadJsonlDataset(join(storeDir(), 'intents'), 'store-intents');
}

/** Every text of the store domain: utterances, catalog, policies, FAQ (vocabulary and corpus). */
export function storeTexts(): string[] {
  const ds = storeIntents();
  const kb = join(storeDir(), 'kb');
  const catalog = JSON.parse(readFileSync(join(kb, 'catalog.json'), 'utf8')) as Array<Record<string, unknown>>;
  const faq = JSON.parse(readFileSync(join(kb, 'faq.json'), 'utf8')) as Array<{ question: string; answer: string }>;
  const policies = readFileSync(join(kb, 'policies.md'), 'utf8').split(/\n+/).filter((l) => l.trim());
  return [
    ...[...ds.train, ...(ds.val ?? []), ...ds.test].map((e) => e.text),
    ...catalog.flatMap((c) => [String(c.title), String(c.author), String(c.description), ...((c.genre as string[]) ?? [])]),
    ...faq.flatMap((f) => [f.question, f.answer]),
    ...policies,
  ];
}
