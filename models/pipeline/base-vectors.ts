/**
 * The word vectors a classifier starts from. By default the unsupervised static embedder's rows
 * (switchyard-static-embedder@1.0.0), rebuilt from GloVe in memory (deterministic: the same bytes
 * as `npm run models:embedder -- --out <dir>`, once per process); `--embedder <dir>` starts from
 * any built embedder folder instead. Not the committed embedder: its rows are fitted to sentence
 * similarity (per-token scales and a 100 × 100 map) and gave classifiers no gain (BENCHMARKS.md).
 */
import { WordPieceTokenizer } from '../../shared/tokenizer/wordpiece.ts';
import { buildDefaultEmbedder, EMBEDDER_NAME, RECIPE_VERSION } from './default-embedder.ts';
import { baseVectorsFromOnnx, loadBaseVectors, type BaseVectors } from './intent-model.ts';
import { tokenizerConfig } from './vocab.ts';

let unsupervised: Promise<BaseVectors> | undefined;

export function unsupervisedBaseVectors(): Promise<BaseVectors> {
  unsupervised ??= buildDefaultEmbedder('unsupervised').then((built) => {
    const config = tokenizerConfig();
    return baseVectorsFromOnnx(built.onnx, 'the unsupervised embedder recipe', {
      tokenizer: new WordPieceTokenizer(built.tokJson, { maxLength: config.model_max_length as number }),
      tokenizerJson: built.tokJson,
      tokenizerConfig: config,
      embedder: { name: EMBEDDER_NAME, version: RECIPE_VERSION.unsupervised },
    });
  });
  return unsupervised;
}

/** The classifier's starting rows: an embedder folder's when given, else the unsupervised recipe's. */
export function classifierBaseVectors(embedderDir?: string): Promise<BaseVectors> {
  return embedderDir ? loadBaseVectors(embedderDir) : unsupervisedBaseVectors();
}
