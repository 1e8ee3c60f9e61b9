/**
 * Seeded randomness for the traffic replay: a PRNG, a Zipf sampler over ranks and a log-normal
 * draw. Pure and deterministic (same seed, same stream); refuses nothing but empty rank sets.
 */

/** The PRNG: mulberry32, the one the dataset carve-outs use (uniform in [0, 1)). */
export { mulberry32 as rng } from '../../models/pipeline/datasets.ts';

/** Draws rank r (0-based) of n with probability ∝ 1 / (r + 1)^s, by inverting the cumulative weights. */
export function zipf(n: number, s: number, random: () => number): () => number {
  if (n < 1) throw new Error('zipf needs at least one rank');
  const cdf: number[] = [];
  let sum = 0;
  for (let r = 0; r < n; r++) cdf.push((sum += 1 / Math.pow(r + 1, s)));
  return () => {
    const u = random() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/** A log-normal draw with the given median and log-space sigma (Box–Muller). */
export function logNormal(median: number, sigma: number, random: () => number): number {
  const u = Math.max(random(), 1e-12);
  const v = random();
  return median * Math.exp(sigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
}

/** Picks by weight (weights need not sum to 1). */
export function weighted<T>(items: readonly (readonly [T, number])[], random: () => number): T {
  const total = items.reduce((a, [, w]) => a + w, 0);
  let u = random() * total;
  for (const [item, w] of items) if ((u -= w) < 0) return item;
  return items[items.length - 1][0];
}

/** Fisher–Yates with the given randomness (a copy). */
export function shuffled<T>(xs: readonly T[], random: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
