/**
 * Routing rules: each intent of a domain is a `template` (answered with no LLM from the store's
 * own data), `cacheable` (an answer may be reused for paraphrases, within a TTL), `catalog`
 * (answered from the catalog row when the message names exactly one item, no LLM, and that answer
 * reused for at most its TTL, the freshness bound of prices and stock; other messages as `llm`),
 * `order` (the shopper's own order: with an order id, the region answers from the store's order
 * system, never cached; without one, the intent's template asks for it; docs/orders.md) or
 * `llm` (needs retrieval and generation). A message whose intent is not confident goes to the LLM path.
 */
import { z } from 'zod';
import { reusesAnswers } from './route-for.ts';

export const RouteClassSchema = z.enum(['template', 'cacheable', 'catalog', 'order', 'llm']);
/** Where the intent's messages wait for the LLM when it is busy (shared/routing/llm-priority.ts); default normal. */
export const LlmPrioritySchema = z.enum(['high', 'normal', 'low']);
export type RouteClass = z.infer<typeof RouteClassSchema>;

export const IntentRoutesSchema = z
  .object({
    domain: z.string().min(1),
    intents: z.record(
      z.string().min(1),
      z.strictObject({
        route: RouteClassSchema,
        description: z.string(),
        cacheTtlSeconds: z.number().int().positive().optional(),
        llmPriority: LlmPrioritySchema.optional(),
      }),
    ),
  })
  .superRefine((cfg, ctx) => {
    for (const [intent, rule] of Object.entries(cfg.intents)) {
      if (reusesAnswers(rule.route) && rule.cacheTtlSeconds === undefined) {
        ctx.addIssue({ code: 'custom', path: ['intents', intent, 'cacheTtlSeconds'], message: `a ${rule.route} intent needs cacheTtlSeconds` });
      }
    }
  });
export type IntentRoutes = z.infer<typeof IntentRoutesSchema>;

export class RoutingConfigError extends Error {
  readonly code = 'ROUTING_CONFIG_INVALID';
}

export function parseIntentRoutes(json: unknown, labels?: readonly string[]): IntentRoutes {
  const parsed = IntentRoutesSchema.safeParse(json);
  if (!parsed.success) {
    const where = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new RoutingConfigError(`invalid routing config: ${where}`);
  }
  const missing = (labels ?? []).filter((l) => !parsed.data.intents[l]);
  if (missing.length) throw new RoutingConfigError(`routing config has no rule for intents: ${missing.join(', ')}`);
  return parsed.data;
}

// The decision itself is zod-free (the browser widget bundles it without zod).
export { routeFor, reusesAnswers, looksUpOrders, ORDER_ENTITY, type Path } from './route-for.ts';
