/**
 * LLM prices (USD per 1,000 tokens, by tier) for the cost estimate in `done.usage.costUsd`, the
 * usage records and the cost metrics. LLM_PRICING overrides; with Bedrock and no override, the
 * published on-demand prices of the default models (Claude 3.5 Haiku small, Claude Sonnet 4
 * large); a self-hosted or extractive generator has no per-token price.
 */
import { z } from 'zod';
import type { ResolvedConfig } from '../config.ts';
import type { LlmRequest } from './types.ts';

export type LlmPricing = Record<LlmRequest['tier'], { in: number; out: number }>;

const Price = z.object({ in: z.number().nonnegative(), out: z.number().nonnegative() });
const PricingJson = z.object({ small: Price, large: Price });

export const BEDROCK_DEFAULT_PRICING: LlmPricing = { small: { in: 0.0008, out: 0.004 }, large: { in: 0.003, out: 0.015 } };

export function llmPricing(config: Pick<ResolvedConfig, 'LLM_PRICING' | 'LLM_BACKEND'>): LlmPricing | undefined {
  if (config.LLM_PRICING) {
    let json: unknown;
    try {
      json = JSON.parse(config.LLM_PRICING);
    } catch (e) {
      throw new Error(`LLM_PRICING is not valid JSON: ${(e as Error).message}`);
    }
    const r = PricingJson.safeParse(json);
    if (!r.success) throw new Error(`LLM_PRICING: ${r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return r.data;
  }
  return config.LLM_BACKEND === 'bedrock' ? BEDROCK_DEFAULT_PRICING : undefined;
}
