/**
 * Shortens embeddings to their first `k` dimensions and rescales them to unit length (what
 * OpenAI's `dimensions` parameter does). The quality cost for Switchyard's embedder is measured on
 * STS-B (`npm run -s eval -- sts --dimensions …`, BENCHMARKS.md). A zero vector stays zero.
 */
export function truncateDimensions(v: Float32Array, k: number): Float32Array {
  const out = v.slice(0, k);
  let n = 0;
  for (let i = 0; i < out.length; i++) n += out[i] * out[i];
  n = Math.sqrt(n);
  if (n > 0) for (let i = 0; i < out.length; i++) out[i] /= n;
  return out;
}
