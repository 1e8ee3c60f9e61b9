/**
 * Shared contracts of the model pipeline: datasets, weights, and the exact forward math the
 * ONNX graphs implement. The trainer (TypeScript, float32) and the exported graphs must agree.
 */

/** The out-of-scope label used in every dataset. */
export const OOS = 'oos';

export type { Dataset, LabeledExample } from '../../shared/domain/labelled-examples.ts';

/**
 * An int8 table with one float scale per row: value(r, c) = q[r * dim + c] * scale[r].
 */
export interface QuantTable {
  rows: number;
  dim: number;
  q: Int8Array;
  scale: Float32Array;
}

/**
 * A table stored at two precisions (rows used in training int8, the rest 4-bit), one float scale
 * per original row. slot[r] < n8: value(r, c) = q8[slot[r] * dim + c] * scale[r]; otherwise with
 * k = slot[r] - n8 and byte b = q4[k * dim / 2 + floor(c / 2)]:
 *   value(r, c) = ((c even ? b & 15 : b >> 4) - 8) * scale[r]        (dim is even)
 */
export interface MixedTable {
  rows: number;
  dim: number;
  /** Number of int8 rows (q8.length / dim); always >= 1. */
  n8: number;
  /** Number of 4-bit rows (2 * q4.length / dim); always >= 1. */
  n4: number;
  slot: Int32Array;
  q8: Int8Array;
  q4: Uint8Array;
  scale: Float32Array;
}

/**
 * An int8 matrix [rows][cols] (row-major, rows = inputs, cols = outputs) with one float scale per
 * column: value(i, o) = q[i * cols + o] * scale[o].
 */
export interface QuantMatrix {
  rows: number;
  cols: number;
  q: Int8Array;
  scale: Float32Array;
}

export function isMixedTable(t: QuantTable | MixedTable): t is MixedTable {
  return 'slot' in t;
}

/**
 * Static embedder. Inputs input_ids / attention_mask / token_type_ids (int64 [B, T]).
 *   last_hidden_state[b, t, :] = table[input_ids[b, t]]            (float32 [B, T, D])
 *   sentence_embedding[b, :]   = l2normalize(sum_t mask[b, t] * table[ids[b, t]])  (float32 [B, D], eps 1e-12)
 * Rows already carry the SIF weight and the common-component removal; special-token rows are zero.
 */
export interface EmbedderWeights {
  /** int8 rows, or (the committed recipe) 4-bit rows: a MixedTable whose int8 part is one zero row. */
  table: QuantTable | MixedTable;
}

/**
 * Intent classifier (fastText-style): one shared word table and one or more heads. Inputs as
 * above; output logits float32 [B, C]. For each head k:
 *   x_t  = words[ids_t] (or the head's own int8 rows, ClassifierHead.words)   (D)
 *   m    = sum_t mask_t x_t / max(sum_t mask_t, 1)
 *   h_t  = (ids_t * bigramPrime + ids_{t+1}) mod bigrams_k.rows,  t = 0 .. T-2
 *   k_t  = mask_t * mask_{t+1}
 *   g    = sum_t k_t bigrams_k[h_t] / max(sum_t k_t, 1)  (Db)
 *   z    = concat(m, g)                                  (D + Db)
 *   if hidden_k: z = relu(z @ hidden_k.w + hidden_k.b)   (hidden_k.size)
 *   l_k  = z @ out_k.w + out_k.b                         (C)
 * One head: logits = l_1. Several (an ensemble averaging probabilities):
 *   logits = log(mean_k softmax(l_k)) * logitScale
 * so softmax(logits) is the mean of the heads' probabilities sharpened by logitScale (1 / the
 * ensemble's temperature). Matrices are row-major [in][out], int8 with one scale per output
 * column (QuantMatrix); biases float32.
 */
export interface ClassifierHead {
  /**
   * The head's own int8 word rows, one per int8 slot of the shared MixedTable (scale8: one scale
   * per slot), so x_t = words_k[ids_t] differs from the shared table only on rows seen in
   * training; the 4-bit rows stay shared. Absent: the head reads the shared table.
   */
  words?: { q8: Int8Array; scale8: Float32Array };
  bigrams: QuantTable;
  hidden?: { w: QuantMatrix; b: Float32Array; size: number };
  out: { w: QuantMatrix; b: Float32Array };
}

export interface ClassifierWeights {
  /** int8 rows, or a MixedTable (int8 rows seen in training, 4-bit rows for the rest). */
  words: QuantTable | MixedTable;
  bigramPrime: number;
  /** At least one; all with the same bigram width. */
  heads: ClassifierHead[];
  /** Multiplies the ensemble's log mean probability (ignored with one head). */
  logitScale?: number;
  /** id2label order; includes OOS when the training data had it. */
  labels: string[];
}
