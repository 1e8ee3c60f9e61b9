/**
 * Routing rules: each intent of a domain is a `template` (answered with no LLM from the store's
 * own data), `cacheable` (an answer may be reused for paraphrases, within a TTL) or `llm` (needs
 * retrieval and generation). A message whose intent is not confident goes to the LLM path.
 */
import { z } from 'zod';

export const RouteClassSchema = z.enum(['template', 'cacheable', 'llm']);
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
      if (rule.route === 'cacheable' && rule.cacheTtlSeconds === undefined) {
        ctx.addIssue({ code: 'custom', path: ['intents', intent, 'cacheTtlSeconds'], message: 'a cacheable intent needs cacheTtlSeconds' });
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
export { routeFor, type Path } from './route-for.ts';
