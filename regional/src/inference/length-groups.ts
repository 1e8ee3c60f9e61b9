/**
 * Padding-aware batching for transformer models. A padded batch costs about
 * `size × longest` token slots (padding included) plus a fixed share per run, so one batch
 * mixing a 3-token and a 40-token text spends most of its work on padding. lengthGroups splits
 * a batch, sorted by length, into the runs that minimize that cost (dynamic programming over the
 * sorted lengths; sentence-transformers sorts by length for the same reason). It changes no
 * result: each text's output does not depend on what it is batched with (padding is masked).
 */

/** A run's fixed cost, in token slots (measured on the MiniLM-shaped stand-in, 1 thread: ~12–16). */
export const RUN_COST_SLOTS = 16;

/** A text's length in tokens, estimated from its characters (about 4 per WordPiece token, plus [CLS] and [SEP]). */
export const estimateTokens = (chars: number) => Math.ceil(chars / 4) + 2;

/** Indices of `lengths` grouped into runs (each run's indices in ascending length), cheapest overall first to last. */
export function lengthGroups(lengths: readonly number[], runCost = RUN_COST_SLOTS): number[][] {
  const n = lengths.length;
  if (n <= 1) return n ? [[0]] : [];
  const order = lengths.map((_, i) => i).sort((a, b) => lengths[a] - lengths[b] || a - b);
  const sorted = order.map((i) => lengths[i]);
  // best[j]: cheapest cost of the first j sorted items; cut[j]: where its last run starts.
  const best = new Float64Array(n + 1);
  const cut = new Int32Array(n + 1);
  for (let j = 1; j <= n; j++) {
    best[j] = Infinity;
    for (let i = 0; i < j; i++) {
      const c = best[i] + runCost + (j - i) * sorted[j - 1];
      if (c < best[j]) (best[j] = c), (cut[j] = i);
    }
  }
  const groups: number[][] = [];
  for (let j = n; j > 0; j = cut[j]) groups.unshift(order.slice(cut[j], j));
  return groups;
}

/** Runs `run` once per length group of `items` and puts the results back in input order. */
export async function runByLength<I, O>(items: readonly I[], length: (item: I) => number, run: (group: I[]) => Promise<O[]>): Promise<O[]> {
  const out = new Array<O>(items.length);
  for (const group of lengthGroups(items.map(length))) {
    const results = await run(group.map((i) => items[i]));
    group.forEach((i, j) => (out[i] = results[j]));
  }
  return out;
}
