/** Builds an embedder recipe and writes it as an HF-format folder with its manifest and STS-B scores. */
import { rm } from 'node:fs/promises';
import { stsSpearman } from '../../shared/eval/sts-eval.ts';
import { loadStsb } from './datasets.ts';
import { loadSentenceEmbedder } from './load-node.ts';
import { buildDefaultEmbedder, EMBEDDER_NAME, embedderSettings, RECIPE_VERSION, type EmbedderRecipe } from './default-embedder.ts';
import { embedderConfig, writeHfModelFolder } from './hf-folder.ts';
import { writeManifest } from './manifest-writer.ts';
import { tokenizerConfig } from './vocab.ts';

export async function writeEmbedderFolder(dir: string, recipe: EmbedderRecipe, version = RECIPE_VERSION[recipe]) {
  const built = await buildDefaultEmbedder(recipe);
  await rm(dir, { recursive: true, force: true });
  await writeHfModelFolder(dir, {
    onnx: built.onnx,
    config: embedderConfig(built.dim, built.vocabSize),
    tokenizerJson: built.tokJson,
    tokenizerConfig: tokenizerConfig(),
  });
  const manifest = (metrics: Record<string, unknown>) =>
    writeManifest(dir, {
      name: EMBEDDER_NAME,
      version,
      kind: 'sentence-embedder',
      trainingDataSha256: built.corpusSha,
      settings: embedderSettings(recipe),
      seed: 0,
      metrics,
    });
  await manifest({});
  const emb = await loadSentenceEmbedder(dir);
  const sts = { stsbDevSpearman: await stsSpearman(emb, loadStsb('dev')), stsbTestSpearman: await stsSpearman(emb, loadStsb('test')) };
  await manifest(sts);
  return { vocabSize: built.vocabSize, sts };
}
