/**
 * What the replayed traffic costs at Bedrock's list prices, and what the same sessions would cost
 * with every message sent to the LLM with retrieval (the unoptimised baseline). Prices are USD per
 * 1,000 tokens (regional/src/config.ts BEDROCK_DEFAULT_PRICING); prompt-cache reads bill at 0.1×
 * and writes at 1.25× the input price, as Bedrock bills Claude. Refuses negative token counts.
 */
export interface Price {
  in: number;
  out: number;
}
export type Tier = 'small' | 'large';
export type Pricing = Record<Tier, Price>;

export interface CallUsage {
  tier: Tier;
  /** Input tokens billed at the full price (Bedrock's inputTokens: not read from or written to the cache). */
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const CACHE_READ_FACTOR = 0.1;
export const CACHE_WRITE_FACTOR = 1.25;

export function callCostUsd(u: CallUsage, pricing: Pricing): number {
  for (const k of ['inputTokens', 'outputTokens', 'cacheReadTokens', 'cacheWriteTokens'] as const) {
    if (!(u[k] >= 0)) throw new Error(`${k} must be a non-negative number, got ${u[k]}`);
  }
  const p = pricing[u.tier];
  return (u.inputTokens * p.in + u.cacheReadTokens * p.in * CACHE_READ_FACTOR + u.cacheWriteTokens * p.in * CACHE_WRITE_FACTOR + u.outputTokens * p.out) / 1000;
}

/**
 * The model the unoptimised pipeline sends every message to: with no tiering, one model answers
 * everything, so it is the one the hardest intents (recommendations) need, the large tier.
 */
export const BASELINE_TIER: Tier = 'large';

/** Tier shares that put every message on one model. */
export const oneModel = (tier: Tier): Record<Tier, number> => ({ small: tier === 'small' ? 1 : 0, large: tier === 'large' ? 1 : 0 });

/**
 * A baseline: each of `messages` sent to the LLM with retrieval, no edge template or cache and no
 * prompt cache. A message's prompt is the mean prompt of the run's real LLM calls (system +
 * history + retrieved passages, every token at the full price), its answer the mean output, its
 * tier drawn in `tierShares`: `oneModel(BASELINE_TIER)` for the seed's unoptimised pipeline (the
 * issue's baseline), the run's own tier shares for the variant that credits tiering to both sides.
 */
export function baselineCostUsd(o: { messages: number; meanPromptTokens: number; meanOutputTokens: number; tierShares: Record<Tier, number>; pricing: Pricing }): number {
  const shares = o.tierShares.small + o.tierShares.large;
  if (!(shares > 0)) throw new Error('the baseline needs the tier shares of at least one LLM call');
  let perMessage = 0;
  for (const tier of ['small', 'large'] as const) {
    perMessage += (o.tierShares[tier] / shares) * callCostUsd({ tier, inputTokens: o.meanPromptTokens, outputTokens: o.meanOutputTokens, cacheReadTokens: 0, cacheWriteTokens: 0 }, o.pricing);
  }
  return perMessage * o.messages;
}
