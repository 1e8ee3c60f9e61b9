/**
 * The recipe of the committed default reranker (models/default/reranker): the static embedder's
 * token vectors and tokenizer, synthetic store queries over the store knowledge base, and the
 * first SciFact train claims; IDF from STS-B train sentences, SciFact abstracts and the store KB.
 * The store's held-out retrieval questions (kb/questions.jsonl) are not used.
 */
import type { ModelManifest } from '../../shared/models/manifest.ts';
import { loadStsb } from './datasets.ts';
import { catalogQueries, idfCorpus, loadSciFact, policyQueries, storeKbPassages } from './reranker-data.ts';
import { rm } from 'node:fs/promises';
import { loadEmbedderTable, trainReranker, writeRerankerFolder, type RerankerOptions, type RerankSet, type TrainedReranker } from './reranker.ts';

export interface DefaultRerankerRecipe {
  /** SciFact train claims used (the first n in qrels order); 0 for store data only. */
  scifactQueries: number;
  scifactWeight: number;
  storeWeight: number;
  /** Seed of the synthetic catalog queries. */
  querySeed: number;
}

export const DEFAULT_RERANKER_RECIPE: DefaultRerankerRecipe = {
  scifactQueries: 300,
  scifactWeight: 0.5,
  storeWeight: 1,
  querySeed: 7,
};

export function defaultRerankerSets(recipe: DefaultRerankerRecipe = DEFAULT_RERANKER_RECIPE): { sets: RerankSet[]; idfTexts: string[] } {
  const sci = loadSciFact('train');
  const sets: RerankSet[] = [
    { name: 'store', passages: storeKbPassages(), queries: [...catalogQueries(recipe.querySeed), ...policyQueries()], weight: recipe.storeWeight },
  ];
  if (recipe.scifactQueries > 0) {
    sets.push({ name: 'scifact', passages: sci.passages, queries: sci.queries.slice(0, recipe.scifactQueries), weight: recipe.scifactWeight });
  }
  const idfTexts = idfCorpus(
    loadStsb('train').flatMap((p) => [p.s1, p.s2]),
    sci.passages,
  );
  return { sets, idfTexts };
}

/** Trains the default reranker from a built embedder folder. */
export async function buildDefaultReranker(
  embedderDir: string,
  recipe: DefaultRerankerRecipe = DEFAULT_RERANKER_RECIPE,
  options: Partial<RerankerOptions> = {},
): Promise<TrainedReranker & { recipe: DefaultRerankerRecipe; embedder: ModelManifest }> {
  const emb = await loadEmbedderTable(embedderDir);
  const { sets, idfTexts } = defaultRerankerSets(recipe);
  const trained = await trainReranker(emb, sets, idfTexts, options);
  return { ...trained, recipe, embedder: emb.manifest };
}

export const DEFAULT_RERANKER_NAME = 'switchyard-reranker';

/** Trains the default reranker and writes its folder (replacing it) with manifest.json. */
export async function writeDefaultReranker(dir: string, embedderDir: string, version: string): Promise<TrainedReranker> {
  const built = await buildDefaultReranker(embedderDir);
  await rm(dir, { recursive: true, force: true });
  await writeRerankerFolder(dir, built, {
    name: DEFAULT_RERANKER_NAME,
    version,
    embedder: built.embedder,
    settings: { recipe: built.recipe },
    metrics: { heldOutSyntheticNdcg10: built.chosen.valNdcg10 },
  });
  return built;
}
