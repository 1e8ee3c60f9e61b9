/**
 * The intent classifier trainer: fastText-style (mean of fine-tuned word vectors plus hashed word
 * bigrams, optional ReLU layer, softmax), initialised from the static token vectors and trained with
 * plain SGD and a linearly decaying learning rate. The forward math is the one documented in
 * types.ts and implemented by the ONNX graph; `floatLogits` here is the float reference the trainer uses.
 */
import { mulberry32 } from './datasets.ts';
import { quantizeColumns, quantizeMixed, quantizeRows } from './quantize.ts';
import { ensembleLogits } from './onnx/reference.ts';
import { isMixedTable, OOS, type ClassifierHead, type ClassifierWeights } from './types.ts';

export interface ClassifierOptions {
  epochs: number;
  /** Learning rate of the dense layers and bigram table at the start; decays linearly to zero. */
  lr: number;
  /** Learning rate multiplier of the pre-trained word vectors. */
  wordLrScale: number;
  bigramBuckets: number;
  bigramDim: number;
  bigramPrime: number;
  /** Width of the ReLU layer; 0 for a linear model. */
  hidden: number;
  /** Probability of dropping each word of a training example (never all of them). */
  wordDropout: number;
  /** Dropout on the ReLU activations during training (inverted, so inference is unchanged). */
  hiddenDropout: number;
  /** Dropout on the pooled input vector z during training (inverted). */
  inputDropout: number;
  /** Loss weight of training examples labelled `oos` (1 = like any other class). */
  oosWeight: number;
  labelSmoothing: number;
  /**
   * Assumed share of out-of-scope messages in deployment. Validation is re-weighted to it before
   * the routing threshold is chosen (only when validation has out-of-scope examples). 0.2 by
   * default: a guess for a general assistant, not fitted to any test split.
   */
  oosPrior: number;
  /**
   * Ensemble size. Head 1 is trained as above; every further head is trained independently from
   * the static vectors with its own seed, then its bigram and dense layers are fitted for
   * `adaptEpochs` more epochs onto head 1's word table (frozen), so that all heads share one
   * word table and the ensemble costs only the heads' small layers. With `adaptEpochs` 0 each head
   * keeps its own fine-tuned rows for the words seen in training (int8, ~100 bytes a word) and
   * shares the 4-bit rows of the rest, which no head changes. Default: two heads with their own
   * rows (CLINC150, Banking77 and the store all gain accuracy and routing coverage over one head,
   * within the 4 MB limit; BENCHMARKS.md).
   */
  heads: number;
  adaptEpochs: number;
  /** Starting learning rate of that fitting pass (decays linearly like the main one). */
  adaptLr: number;
  seed: number;
}

/**
 * 256 ReLU units with 30% dropout and oos examples weighted 12: on CLINC150 the hidden layer buys
 * out-of-scope recall, dropout the in-scope accuracy, the weight more recall (BENCHMARKS.md).
 */
export const DEFAULT_CLASSIFIER: ClassifierOptions = {
  epochs: 30,
  lr: 0.05,
  wordLrScale: 1,
  bigramBuckets: 8192,
  bigramDim: 32,
  bigramPrime: 1_000_003,
  hidden: 256,
  wordDropout: 0.1,
  hiddenDropout: 0.3,
  inputDropout: 0,
  oosWeight: 12,
  labelSmoothing: 0.05,
  oosPrior: 0.2,
  heads: 2,
  adaptEpochs: 0,
  adaptLr: 0.02,
  seed: 42,
};

/** Float weights during training (same layout as ClassifierWeights before quantization). */
export interface FloatClassifier {
  dim: number;
  vocab: number;
  words: Float32Array;
  bigrams: Float32Array;
  opts: ClassifierOptions;
  hiddenW?: Float32Array;
  hiddenB?: Float32Array;
  outW: Float32Array;
  outB: Float32Array;
  labels: string[];
}

export function bigramHash(a: number, b: number, prime: number, buckets: number): number {
  return (a * prime + b) % buckets;
}

interface Scratch {
  z: Float32Array;
  a: Float32Array;
  r: Float32Array;
  logits: Float32Array;
  /** Training-time dropout multipliers (0 or 1 / (1 - p)); absent at inference. */
  dropIn?: Float32Array;
  dropHid?: Float32Array;
}

function scratch(m: FloatClassifier): Scratch {
  const dz = m.dim + m.opts.bigramDim;
  const h = m.opts.hidden;
  return {
    z: new Float32Array(dz),
    a: new Float32Array(h),
    r: h > 0 ? new Float32Array(h) : new Float32Array(0),
    logits: new Float32Array(m.labels.length),
  };
}

/** Forward pass for one sequence of ids (no padding); fills s and returns softmax probabilities. */
function forwardInto(m: FloatClassifier, ids: number[], s: Scratch, hashes: number[]): Float32Array {
  const D = m.dim;
  const Db = m.opts.bigramDim;
  const z = s.z;
  z.fill(0);
  for (const id of ids) {
    const o = id * D;
    for (let d = 0; d < D; d++) z[d] += m.words[o + d];
  }
  for (let d = 0; d < D; d++) z[d] /= Math.max(ids.length, 1);
  hashes.length = 0;
  for (let t = 0; t + 1 < ids.length; t++) hashes.push(bigramHash(ids[t], ids[t + 1], m.opts.bigramPrime, m.opts.bigramBuckets));
  for (const h of hashes) {
    const o = h * Db;
    for (let d = 0; d < Db; d++) z[D + d] += m.bigrams[o + d];
  }
  const k = Math.max(hashes.length, 1);
  for (let d = 0; d < Db; d++) z[D + d] /= k;
  if (s.dropIn) for (let i = 0; i < z.length; i++) z[i] *= s.dropIn[i];
  let input = z;
  const H = m.opts.hidden;
  if (H > 0) {
    const dz = D + Db;
    for (let j = 0; j < H; j++) s.a[j] = m.hiddenB![j];
    for (let i = 0; i < dz; i++) {
      const zi = z[i];
      if (zi === 0) continue;
      const o = i * H;
      for (let j = 0; j < H; j++) s.a[j] += zi * m.hiddenW![o + j];
    }
    for (let j = 0; j < H; j++) s.r[j] = s.a[j] > 0 ? s.a[j] : 0;
    if (s.dropHid) for (let j = 0; j < H; j++) s.r[j] *= s.dropHid[j];
    input = s.r;
  }
  const C = m.labels.length;
  const logits = s.logits;
  for (let c = 0; c < C; c++) logits[c] = m.outB[c];
  for (let i = 0; i < input.length; i++) {
    const v = input[i];
    if (v === 0) continue;
    const o = i * C;
    for (let c = 0; c < C; c++) logits[c] += v * m.outW[o + c];
  }
  return logits;
}

/**
 * Trains opts.heads heads (see ClassifierOptions.heads) and folds each head's temperature, fitted on
 * `val`, into its output layer; with several heads the ensemble's own temperature is fitted too.
 */
export function trainIntentHeads(
  initWords: Float32Array,
  dim: number,
  examples: Array<{ ids: number[]; label: number }>,
  val: Array<{ ids: number[]; label: number }>,
  labels: string[],
  opts: ClassifierOptions,
): FloatIntentModel & { temperatures: number[] } {
  if (!Number.isInteger(opts.heads) || opts.heads < 1) throw new Error(`heads must be a positive integer, got ${opts.heads}`);
  const first = trainClassifier(initWords, dim, examples, labels, opts);
  const heads = [first];
  for (let k = 1; k < opts.heads; k++) {
    const own = trainClassifier(initWords, dim, examples, labels, { ...opts, seed: opts.seed + k });
    if (opts.adaptEpochs === 0) {
      heads.push(own);
      continue;
    }
    const adaptOpts = { ...opts, seed: opts.seed + 1000 + k, wordLrScale: 0, epochs: opts.adaptEpochs, lr: opts.adaptLr };
    heads.push(trainClassifier(first.words, dim, examples, labels, adaptOpts, undefined, own));
  }
  const temperatures = heads.map((h) => {
    const t = fitTemperature(h, val);
    applyTemperature(h, t);
    return t;
  });
  if (heads.length === 1) return { heads, logitScale: 1, temperatures };
  const t = fitTemperatureToLogits(
    val.map((e) => ensembleLogits(heads.map((h) => floatLogits(h, e.ids)), 1)),
    val.map((e) => e.label),
  );
  return { heads, logitScale: 1 / t, temperatures: [...temperatures, t] };
}

export function softmax(logits: ArrayLike<number>): Float32Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  const out = new Float32Array(logits.length);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += out[i] = Math.exp(logits[i] - max);
  for (let i = 0; i < out.length; i++) out[i] /= sum;
  return out;
}

/** Logits of one id sequence under float weights. */
export function floatLogits(m: FloatClassifier, ids: number[]): Float32Array {
  return Float32Array.from(forwardInto(m, ids, scratch(m), []));
}

export function trainClassifier(
  initWords: Float32Array,
  dim: number,
  examples: Array<{ ids: number[]; label: number }>,
  labels: string[],
  opts: ClassifierOptions = DEFAULT_CLASSIFIER,
  onEpoch?: (epoch: number, loss: number) => void,
  /** Start the bigram table and dense layers from these (same shapes) instead of fresh ones. */
  init?: FloatClassifier,
): FloatClassifier {
  const rand = mulberry32(opts.seed);
  const gauss = () => Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  const C = labels.length;
  const Db = opts.bigramDim;
  const dz = dim + Db;
  const H = opts.hidden;
  const inputDim = H > 0 ? H : dz;
  const m: FloatClassifier = {
    dim,
    vocab: initWords.length / dim,
    words: Float32Array.from(initWords),
    bigrams: new Float32Array(opts.bigramBuckets * Db),
    opts,
    outW: new Float32Array(inputDim * C),
    outB: new Float32Array(C),
    labels,
  };
  if (H > 0) {
    const sd = Math.sqrt(2 / dz);
    m.hiddenW = Float32Array.from({ length: dz * H }, () => gauss() * sd);
    m.hiddenB = new Float32Array(H);
  }
  if (init) {
    if (init.bigrams.length !== m.bigrams.length || init.outW.length !== m.outW.length || (init.hiddenW?.length ?? 0) !== (m.hiddenW?.length ?? 0)) throw new Error('init: head shapes differ');
    m.bigrams.set(init.bigrams);
    m.outW.set(init.outW);
    m.outB.set(init.outB);
    if (m.hiddenW) (m.hiddenW.set(init.hiddenW!), m.hiddenB!.set(init.hiddenB!));
  }
  const train = scratch(m);
  const fillDrop = (out: Float32Array, p: number) => {
    const keep = 1 / (1 - p);
    for (let i = 0; i < out.length; i++) out[i] = rand() < p ? 0 : keep;
  };
  if (opts.inputDropout > 0) train.dropIn = new Float32Array(dz);
  if (H > 0 && opts.hiddenDropout > 0) train.dropHid = new Float32Array(H);
  const oosIndex = labels.indexOf(OOS);
  const hashes: number[] = [];
  const order = examples.map((_, i) => i);
  const total = opts.epochs * examples.length;
  let step = 0;
  const dl = new Float32Array(C);
  const dIn = new Float32Array(inputDim);
  const dzv = new Float32Array(dz);
  for (let epoch = 0; epoch < opts.epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j], order[i]];
    }
    let lossSum = 0;
    for (const idx of order) {
      const ex = examples[idx];
      const lr = opts.lr * (1 - step / total);
      step++;
      let ids = ex.ids;
      if (opts.wordDropout > 0 && ids.length > 3) {
        const kept = ids.filter((_, t) => t === 0 || t === ids.length - 1 || rand() >= opts.wordDropout);
        if (kept.length > 2) ids = kept;
      }
      if (train.dropIn) fillDrop(train.dropIn, opts.inputDropout);
      if (train.dropHid) fillDrop(train.dropHid, opts.hiddenDropout);
      const logits = forwardInto(m, ids, train, hashes);
      const p = softmax(logits);
      const wEx = ex.label === oosIndex ? opts.oosWeight : 1;
      lossSum -= wEx * Math.log(p[ex.label] + 1e-12);
      const eps = opts.labelSmoothing;
      for (let c = 0; c < C; c++) dl[c] = wEx * (p[c] - (eps / C + (c === ex.label ? 1 - eps : 0)));
      const input = H > 0 ? train.r : train.z;
      // Output layer: gradient to the input first, then the update.
      for (let i = 0; i < inputDim; i++) {
        const o = i * C;
        let g = 0;
        for (let c = 0; c < C; c++) g += m.outW[o + c] * dl[c];
        dIn[i] = g;
        const v = input[i];
        if (v !== 0) for (let c = 0; c < C; c++) m.outW[o + c] -= lr * v * dl[c];
      }
      for (let c = 0; c < C; c++) m.outB[c] -= lr * dl[c];
      if (H > 0) {
        dzv.fill(0);
        for (let j = 0; j < H; j++) {
          if (train.a[j] <= 0) continue;
          const g = train.dropHid ? dIn[j] * train.dropHid[j] : dIn[j];
          if (g === 0) continue;
          m.hiddenB![j] -= lr * g;
          for (let i = 0; i < dz; i++) {
            dzv[i] += m.hiddenW![i * H + j] * g;
            m.hiddenW![i * H + j] -= lr * train.z[i] * g;
          }
        }
      } else {
        dzv.set(dIn);
      }
      if (train.dropIn) for (let i = 0; i < dz; i++) dzv[i] *= train.dropIn[i];
      const wl = (lr * opts.wordLrScale) / ids.length;
      for (const id of ids) {
        const o = id * dim;
        for (let d = 0; d < dim; d++) m.words[o + d] -= wl * dzv[d];
      }
      const bl = lr / Math.max(hashes.length, 1);
      for (const h of hashes) {
        const o = h * Db;
        for (let d = 0; d < Db; d++) m.bigrams[o + d] -= bl * dzv[dim + d];
      }
    }
    onEpoch?.(epoch, lossSum / examples.length);
  }
  return m;
}

/**
 * Temperature scaling (Guo et al., 2017): the T > 0 minimising the negative log-likelihood of the
 * validation examples under softmax(logits / T), found by golden-section search on log T. Folding
 * 1/T into the output layer leaves every arg-max unchanged and makes confidences honest.
 */
export function fitTemperature(m: FloatClassifier, val: Array<{ ids: number[]; label: number }>): number {
  return fitTemperatureToLogits(val.map((e) => floatLogits(m, e.ids)), val.map((e) => e.label));
}

export function fitTemperatureToLogits(logits: ArrayLike<number>[], gold: number[]): number {
  if (logits.length === 0) return 1;
  const nll = (logT: number) => {
    const inv = Math.exp(-logT);
    let sum = 0;
    logits.forEach((l, i) => {
      const p = softmax(Array.from(l, (x) => x * inv));
      sum -= Math.log(p[gold[i]] + 1e-12);
    });
    return sum;
  };
  let lo = Math.log(0.05);
  let hi = Math.log(20);
  const g = (Math.sqrt(5) - 1) / 2;
  for (let it = 0; it < 40; it++) {
    const a = hi - g * (hi - lo);
    const b = lo + g * (hi - lo);
    if (nll(a) < nll(b)) hi = b;
    else lo = a;
  }
  return Math.exp((lo + hi) / 2);
}

export function applyTemperature(m: FloatClassifier, t: number): void {
  for (let i = 0; i < m.outW.length; i++) m.outW[i] /= t;
  for (let i = 0; i < m.outB.length; i++) m.outB[i] /= t;
}

/**
 * The trained float model: heads sharing heads[0].words (the other heads never change their word
 * rows), each with its temperature folded in, and the ensemble's logit scale (1 with one head).
 */
export interface FloatIntentModel {
  heads: FloatClassifier[];
  logitScale: number;
}

/** Logits of the float model, the math of ClassifierWeights. */
export function floatModelLogits(m: FloatIntentModel, ids: number[]): Float32Array {
  if (m.heads.length === 1) return floatLogits(m.heads[0], ids);
  return Float32Array.from(ensembleLogits(m.heads.map((h) => floatLogits(h, ids)), m.logitScale));
}

/** Zeroes the word rows `drop` picks in every head (heads may share one word array). */
export function dropWordRows(m: FloatIntentModel, drop: (r: number) => boolean): void {
  for (const h of m.heads) for (let r = 0; r < h.vocab; r++) if (drop(r)) h.words.fill(0, r * h.dim, (r + 1) * h.dim);
}

/**
 * int8 words and bigrams with per-row scales, dense layers int8 with per-column scales. With
 * `int8Words` (the ids seen in training) the other word rows, still the static vectors, are 4-bit;
 * with `keptWords` as well, only those of them keep a row, the others read as zeros
 * (dropWordRows has zeroed them in the float model).
 */
export function quantizeClassifier(m: FloatIntentModel, int8Words?: ReadonlySet<number>, keptWords?: ReadonlySet<number>): ClassifierWeights {
  const first = m.heads[0];
  const keep = keptWords ? (r: number) => keptWords.has(r) : undefined;
  const quantWords = (words: Float32Array) => (int8Words ? quantizeMixed(words, first.vocab, first.dim, (r) => int8Words.has(r), keep) : quantizeRows(words, first.vocab, first.dim));
  const shared = quantWords(first.words);
  /** A head trained on its own word rows keeps its int8 rows; its 4-bit rows must be the shared ones. */
  const ownWords = (h: FloatClassifier, k: number): ClassifierHead['words'] => {
    const bytes = (a: ArrayBufferView) => Buffer.from(a.buffer, a.byteOffset, a.byteLength);
    if (h.words === first.words || bytes(h.words).equals(bytes(first.words))) return undefined;
    const mine = quantWords(h.words);
    if (!isMixedTable(mine) || !isMixedTable(shared)) throw new Error(`head ${k}: own word rows need int8Words (rows seen in training)`);
    if (!bytes(mine.q4).equals(bytes(shared.q4))) throw new Error(`head ${k}: a word row outside int8Words changed in training`);
    const scale8 = new Float32Array(mine.n8);
    for (let r = 0; r < mine.rows; r++) if (mine.slot[r] < mine.n8) scale8[mine.slot[r]] = mine.scale[r];
    return { q8: mine.q8, scale8 };
  };
  return {
    words: shared,
    bigramPrime: first.opts.bigramPrime,
    heads: m.heads.map((h, k) => ({
      ...(k > 0 ? { words: ownWords(h, k) } : {}),
      bigrams: quantizeRows(h.bigrams, h.opts.bigramBuckets, h.opts.bigramDim),
      hidden: h.hiddenW ? { w: quantizeColumns(h.hiddenW, h.hiddenW.length / h.hiddenB!.length, h.hiddenB!.length), b: h.hiddenB!, size: h.opts.hidden } : undefined,
      out: { w: quantizeColumns(h.outW, h.outW.length / h.outB.length, h.outB.length), b: h.outB },
    })),
    ...(m.heads.length > 1 ? { logitScale: m.logitScale } : {}),
    labels: first.labels,
  };
}
