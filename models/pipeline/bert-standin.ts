/**
 * A THROUGHPUT STAND-IN, NOT A QUALITY MODEL: an HF-format BERT folder (`model_type: "bert"`,
 * fp32 `onnx/model.onnx`, our tokenizer's vocabulary) with seeded random weights, in the shapes
 * of a real transformer embedder. No model hub is reachable here, so this is how the regional
 * service is measured (and tested) with an embedder whose model time dominates: the graph is a
 * real BERT encoder (onnx/bert-graph.ts), so its cost per token is a real one, but its vectors
 * mean nothing. Built at bench or test time into a temporary directory; never committed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mulberry32, repoRoot } from './datasets.ts';
import { bertTokenizerConfig, embedderConfig, writeHfModelFolder } from './hf-folder.ts';
import { buildBertOnnx, randomBertWeights, type BertShape } from './onnx/bert-graph.ts';

/** all-MiniLM-L6-v2's shapes (6 layers, hidden 384, 12 heads, FFN 1536), positions cut to 128. */
export const MINILM_L6_SHAPE = { layers: 6, hidden: 384, heads: 12, intermediate: 1536, maxPositions: 128 } as const;

export type StandInShape = Omit<BertShape, 'vocabSize'>;

/** Writes the folder; the vocabulary (and tokenizer.json) is the default embedder's. */
export async function writeRandomBertFolder(dir: string, shape: StandInShape = MINILM_L6_SHAPE, seed = 1): Promise<{ dir: string; onnxBytes: number; parameters: number }> {
  const tokenizerJson = JSON.parse(await readFile(join(repoRoot(), 'models', 'default', 'embedder', 'tokenizer.json'), 'utf8')) as { model: { vocab: Record<string, number> } };
  const vocabSize = Object.keys(tokenizerJson.model.vocab).length;
  const weights = randomBertWeights({ ...shape, vocabSize }, mulberry32(seed));
  const label = `random weights (seed ${seed}): a throughput stand-in with ${shape.layers} layers, hidden ${shape.hidden}, not a quality model`;
  const onnx = buildBertOnnx(weights, { docString: `BERT encoder with ${label}` });
  await writeHfModelFolder(dir, {
    onnx,
    onnxPath: 'onnx/model.onnx',
    config: {
      ...embedderConfig(shape.hidden, vocabSize, shape.maxPositions),
      num_hidden_layers: shape.layers,
      num_attention_heads: shape.heads,
      intermediate_size: shape.intermediate,
      'transformers.js_config': { dtype: 'fp32' },
      switchyard_stand_in: label,
    },
    tokenizerJson,
    tokenizerConfig: bertTokenizerConfig({ modelMaxLength: shape.maxPositions }),
  });
  const arrays = (x: object): Float32Array[] => Object.values(x).flatMap((v) => (v instanceof Float32Array ? [v] : v && typeof v === 'object' ? arrays(v) : []));
  const parameters = arrays({ ...weights, shape: null }).reduce((n, a) => n + a.length, 0);
  return { dir, onnxBytes: onnx.byteLength, parameters };
}
