/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009): an item's fused score is
 * Σ_lists weight / (k + rank), rank counted from 1, k = 60. Only ranks matter, so lists whose raw
 * scores are not comparable (BM25, cosine) fuse without calibration.
 */
export const RRF_K = 60;

export interface Fused<T> {
  item: T;
  key: string | number;
  score: number;
  /** 1-based rank in each input list, null where the item is absent. */
  ranks: (number | null)[];
}

export function reciprocalRankFusion<T>(
  lists: readonly (readonly T[])[],
  key: (item: T) => string | number,
  opts: { k?: number; weights?: readonly number[] } = {},
): Fused<T>[] {
  const k = opts.k ?? RRF_K;
  if (!(k >= 0) || !Number.isFinite(k)) throw new RangeError(`RRF k must be a finite number ≥ 0, got ${k}`);
  if (opts.weights && opts.weights.length !== lists.length) throw new RangeError(`RRF got ${opts.weights.length} weights for ${lists.length} lists`);
  const byKey = new Map<string | number, Fused<T>>();
  lists.forEach((list, li) => {
    const w = opts.weights?.[li] ?? 1;
    list.forEach((item, i) => {
      const id = key(item);
      let f = byKey.get(id);
      if (!f) {
        f = { item, key: id, score: 0, ranks: lists.map(() => null) };
        byKey.set(id, f);
      }
      if (f.ranks[li] !== null) return; // a duplicate within one list keeps its best rank
      f.ranks[li] = i + 1;
      f.score += w / (k + i + 1);
    });
  });
  const best = (f: Fused<T>) => Math.min(...f.ranks.map((r) => r ?? Infinity));
  return [...byKey.values()].sort((a, b) => b.score - a.score || best(a) - best(b) || String(a.key).localeCompare(String(b.key)));
}
