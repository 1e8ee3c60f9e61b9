/**
 * ONNX graph of a BERT encoder (BertModel: embeddings, N post-LayerNorm transformer layers),
 * from standard opset-17 ops only (Gather, Add, Mul, MatMul, Reshape, Transpose, Softmax, Erf,
 * LayerNormalization, Shape, Range…), so onnxruntime fuses it the way it fuses an exported
 * Hugging Face BERT.
 *
 *   x = LayerNorm(word[input_ids] + position[0..T) + type[token_type_ids])
 *   per layer:  a = softmax(Q Kᵀ / √d + (1 − mask) · −10000) V   (per head)
 *               x = LayerNorm(x + a Wo + bo)
 *               x = LayerNorm(x + gelu(x W1 + b1) W2 + b2)        (exact gelu, with Erf)
 *   last_hidden_state = x                                           [B,T,H]
 *
 * Inputs `input_ids`, `attention_mask`, `token_type_ids` ([B,T] int64), output
 * `last_hidden_state`: what transformers.js' feature-extraction pipeline feeds and reads for a
 * `model_type: "bert"` folder. bertForward is the same math in plain TypeScript (float64), for
 * checking the graph.
 */
import { DType, GraphBuilder, modelBytes } from './proto.ts';

export interface BertShape {
  vocabSize: number;
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
  typeVocabSize?: number;
  layerNormEps?: number;
}

/** y = x·weight + bias; weight is [in, out] (input-major, the layout MatMul takes). */
export interface Dense {
  weight: Float32Array;
  bias: Float32Array;
}

export interface Norm {
  gamma: Float32Array;
  beta: Float32Array;
}

export interface BertLayerWeights {
  query: Dense; // [H,H]
  key: Dense;
  value: Dense;
  attentionOut: Dense;
  attentionNorm: Norm;
  intermediate: Dense; // [H,I]
  output: Dense; // [I,H]
  outputNorm: Norm;
}

export interface BertWeights {
  shape: BertShape;
  word: Float32Array; // [V,H]
  position: Float32Array; // [P,H]
  type: Float32Array; // [typeVocab,H]
  embeddingNorm: Norm;
  layers: BertLayerWeights[];
}

/** The additive bias for masked-out keys (what Hugging Face's BERT export uses). */
export const MASKED_BIAS = -10000;

function checkShape(s: BertShape): void {
  if (s.hidden % s.heads !== 0) throw new Error(`hidden ${s.hidden} is not a multiple of heads ${s.heads}`);
  for (const [k, v] of Object.entries(s)) if (typeof v === 'number' && !(v > 0)) throw new Error(`bert shape: ${k} must be positive`);
}

/**
 * Random weights of the given shape from `rand` (uniform [0, 1)): normal(0, 0.02) matrices as in
 * BERT's initializer, zero biases, unit LayerNorm gains. Only for throughput stand-ins and tests.
 */
export function randomBertWeights(shape: BertShape, rand: () => number): BertWeights {
  checkShape(shape);
  const { vocabSize: V, hidden: H, intermediate: I, maxPositions: P } = shape;
  const T = shape.typeVocabSize ?? 2;
  const normal = (n: number) => {
    const a = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      // Box–Muller: two independent normals per pair of uniforms.
      const r = Math.sqrt(-2 * Math.log(1 - rand())) * 0.02;
      const t = 2 * Math.PI * rand();
      a[i] = r * Math.cos(t);
      if (i + 1 < n) a[i + 1] = r * Math.sin(t);
    }
    return a;
  };
  const dense = (rows: number, cols: number): Dense => ({ weight: normal(rows * cols), bias: new Float32Array(cols) });
  const norm = (): Norm => ({ gamma: new Float32Array(H).fill(1), beta: new Float32Array(H) });
  return {
    shape,
    word: normal(V * H),
    position: normal(P * H),
    type: normal(T * H),
    embeddingNorm: norm(),
    layers: Array.from({ length: shape.layers }, () => ({
      query: dense(H, H),
      key: dense(H, H),
      value: dense(H, H),
      attentionOut: dense(H, H),
      attentionNorm: norm(),
      intermediate: dense(H, I),
      output: dense(I, H),
      outputNorm: norm(),
    })),
  };
}

export function buildBertOnnx(w: BertWeights, opts: { docString?: string } = {}): Uint8Array {
  const s = w.shape;
  checkShape(s);
  const { vocabSize: V, hidden: H, heads: NH, intermediate: I, maxPositions: P } = s;
  const D = H / NH;
  const eps = s.layerNormEps ?? 1e-12;
  const g = new GraphBuilder('bert_encoder');

  const ids = g.input('input_ids', DType.int64, ['batch', 'sequence']);
  const mask = g.input('attention_mask', DType.int64, ['batch', 'sequence']);
  const types = g.input('token_type_ids', DType.int64, ['batch', 'sequence']);

  const f = (name: string, v: number) => g.float(name, [], [v]);
  const i64 = (name: string, v: number[]) => g.int64(name, [v.length], v);
  const heads4 = i64('shape_heads', [0, 0, NH, D]);
  const merged3 = i64('shape_merged', [0, 0, H]);
  const one = f('one', 1);
  const layerNorm = (x: string, n: Norm, name: string, output = name) =>
    g.op('LayerNormalization', [x, g.float(`${name}.gamma`, [H], n.gamma), g.float(`${name}.beta`, [H], n.beta)], { axis: -1, epsilon: { float: eps } }, output);
  const dense = (x: string, d: Dense, rows: number, cols: number, name: string) =>
    g.op('Add', [g.op('MatMul', [x, g.float(`${name}.weight`, [rows, cols], d.weight)]), g.float(`${name}.bias`, [cols], d.bias)], {}, name);

  // Embeddings.
  const word = g.op('Gather', [g.float('embeddings.word', [V, H], w.word), ids], { axis: 0 });
  const seqLen = g.op('Gather', [g.op('Shape', [ids]), g.int64('dim_1', [], [1])], { axis: 0 });
  const positions = g.op('Range', [g.int64('zero', [], [0]), seqLen, g.int64('step', [], [1])]);
  const position = g.op('Gather', [g.float('embeddings.position', [P, H], w.position), positions], { axis: 0 });
  const type = g.op('Gather', [g.float('embeddings.type', [s.typeVocabSize ?? 2, H], w.type), types], { axis: 0 });
  let x = layerNorm(g.op('Add', [g.op('Add', [word, position]), type]), w.embeddingNorm, 'embeddings.norm');

  // (1 − mask) · −10000 as [B,1,1,T], added to every head's scores.
  const maskF = g.op('Cast', [mask], { to: DType.float });
  const maskBias = g.op('Mul', [g.op('Sub', [one, maskF]), f('masked_bias', MASKED_BIAS)]);
  const bias4 = g.op('Unsqueeze', [maskBias, i64('axes_1_2', [1, 2])], {}, 'mask_bias');
  const scale = f('score_scale', 1 / Math.sqrt(D));
  const half = f('half', 0.5);
  const invSqrt2 = f('inv_sqrt2', Math.SQRT1_2);

  w.layers.forEach((l, n) => {
    const p = `layer${n}`;
    // [B,T,H] -> [B,NH,T,D] (keys: [B,NH,D,T])
    const split = (t: string, perm: number[]) => g.op('Transpose', [g.op('Reshape', [t, heads4])], { perm });
    const q = split(dense(x, l.query, H, H, `${p}.query`), [0, 2, 1, 3]);
    const k = split(dense(x, l.key, H, H, `${p}.key`), [0, 2, 3, 1]);
    const v = split(dense(x, l.value, H, H, `${p}.value`), [0, 2, 1, 3]);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [q, k]), scale]), bias4]);
    const probs = g.op('Softmax', [scores], { axis: -1 });
    const context = g.op('Reshape', [g.op('Transpose', [g.op('MatMul', [probs, v])], { perm: [0, 2, 1, 3] }), merged3]);
    const attn = dense(context, l.attentionOut, H, H, `${p}.attention_out`);
    x = layerNorm(g.op('Add', [x, attn]), l.attentionNorm, `${p}.attention_norm`);
    const up = dense(x, l.intermediate, H, I, `${p}.intermediate`);
    const gelu = g.op('Mul', [g.op('Mul', [up, half]), g.op('Add', [g.op('Erf', [g.op('Mul', [up, invSqrt2])]), one])]);
    const down = dense(gelu, l.output, I, H, `${p}.output`);
    const last = n === w.layers.length - 1;
    x = layerNorm(g.op('Add', [x, down]), l.outputNorm, `${p}.output_norm`, last ? 'last_hidden_state' : undefined);
  });
  if (!w.layers.length) x = g.op('Identity', [x], {}, 'last_hidden_state');
  g.output('last_hidden_state', DType.float, ['batch', 'sequence', H]);
  return modelBytes(g, { docString: opts.docString ?? 'BERT encoder' });
}

/** The graph's math in plain TypeScript (float64): last_hidden_state [B][T][H]. */
export function bertForward(w: BertWeights, ids: number[][], mask: number[][], types?: number[][]): number[][][] {
  const { hidden: H, heads: NH } = w.shape;
  const D = H / NH;
  const eps = w.shape.layerNormEps ?? 1e-12;
  const matvec = (x: number[], d: Dense) => {
    const cols = d.bias.length;
    const out = Array.from(d.bias);
    for (let r = 0; r < x.length; r++) for (let c = 0; c < cols; c++) out[c] += x[r] * d.weight[r * cols + c];
    return out;
  };
  const norm = (x: number[], n: Norm) => {
    const mean = x.reduce((a, b) => a + b, 0) / x.length;
    const variance = x.reduce((a, b) => a + (b - mean) ** 2, 0) / x.length;
    return x.map((v, i) => ((v - mean) / Math.sqrt(variance + eps)) * n.gamma[i] + n.beta[i]);
  };
  const erf = (z: number) => {
    // Abramowitz–Stegun 7.1.26 is too coarse for a 1e-5 check; use the series / continued form.
    const t = Math.abs(z);
    if (t < 3) {
      let sum = t;
      let term = t;
      for (let n = 1; n < 60; n++) {
        term *= (-t * t) / n;
        sum += term / (2 * n + 1);
      }
      return Math.sign(z) * (2 / Math.sqrt(Math.PI)) * sum;
    }
    return Math.sign(z) * (1 - Math.exp(-t * t) / (t * Math.sqrt(Math.PI)));
  };
  return ids.map((row, b) => {
    const T = row.length;
    let x = row.map((id, t) =>
      norm(
        Array.from({ length: H }, (_, h) => w.word[id * H + h] + w.position[t * H + h] + w.type[(types?.[b][t] ?? 0) * H + h]),
        w.embeddingNorm,
      ),
    );
    for (const l of w.layers) {
      const q = x.map((v) => matvec(v, l.query));
      const k = x.map((v) => matvec(v, l.key));
      const v = x.map((v) => matvec(v, l.value));
      const context = x.map(() => new Array<number>(H).fill(0));
      for (let head = 0; head < NH; head++) {
        for (let i = 0; i < T; i++) {
          const scores = Array.from({ length: T }, (_, j) => {
            let s = 0;
            for (let d = 0; d < D; d++) s += q[i][head * D + d] * k[j][head * D + d];
            return s / Math.sqrt(D) + (1 - mask[b][j]) * MASKED_BIAS;
          });
          const top = Math.max(...scores);
          const e = scores.map((s) => Math.exp(s - top));
          const z = e.reduce((a, c) => a + c, 0);
          for (let j = 0; j < T; j++) for (let d = 0; d < D; d++) context[i][head * D + d] += (e[j] / z) * v[j][head * D + d];
        }
      }
      x = x.map((xi, i) => norm(matvec(context[i], l.attentionOut).map((a, h) => a + xi[h]), l.attentionNorm));
      x = x.map((xi) => {
        const up = matvec(xi, l.intermediate).map((u) => 0.5 * u * (1 + erf(u * Math.SQRT1_2)));
        return norm(matvec(up, l.output).map((a, h) => a + xi[h]), l.outputNorm);
      });
    }
    return x;
  });
}
