/**
 * Which words drove an intent: for each word of the message, how much the chosen intent's
 * log-probability drops when that word is left out (leave-one-word-out, one batched run of the
 * same classifier). The classifier is a bag of embeddings with bigrams, a hidden layer and an
 * ensemble, so no per-token split of the logit is exact; this re-run is, and costs one batch.
 * Refuses long messages politely: only the first MAX_WORDS words are scored.
 */

export interface TokenContribution {
  token: string;
  /** log p(intent | message) − log p(intent | message without this word); > 0 pushed toward the intent. */
  weight: number;
}

export const MAX_WORDS = 32;

export async function tokenContributions(classifier: { readonly labels: readonly string[]; logits(texts: string[]): Promise<Float32Array[]> }, text: string, label: string, top = 5): Promise<TokenContribution[]> {
  const c = classifier.labels.indexOf(label);
  const words = text.split(/\s+/).filter(Boolean).slice(0, MAX_WORDS);
  if (c < 0 || words.length === 0) return [];
  const variants = words.map((_, i) => words.filter((__, j) => j !== i).join(' ') || '.');
  const logits = await classifier.logits([words.join(' '), ...variants]);
  const full = logProb(logits[0], c);
  const scored = words.map((token, i) => ({ token, weight: round(full - logProb(logits[i + 1], c)) }));
  return scored.sort((a, b) => b.weight - a.weight).slice(0, top);
}

function logProb(l: Float32Array, c: number): number {
  let max = -Infinity;
  for (const v of l) max = Math.max(max, v);
  let sum = 0;
  for (const v of l) sum += Math.exp(v - max);
  return l[c] - max - Math.log(sum);
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
