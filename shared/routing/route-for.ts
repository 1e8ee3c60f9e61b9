/** The routing decision for a classified message (zod-free: the browser widget bundles it). */
import type { IntentRoutes } from './intent-routes.ts';

export type Path = 'template' | 'cache' | 'llm';

/** The entity kind an `order` route looks up (entities.json `patterns.order`, conversation.json `idReplies`). */
export const ORDER_ENTITY = 'order';

/**
 * The path a classified message takes: a confident template intent is answered from its
 * template; a confident cacheable or catalog intent looks in the semantic cache first; a confident
 * `order` intent goes to the region when the message (with what its follow-up carried) names an
 * order id, which the region looks up, and is otherwise answered from the intent's template, which
 * asks for the id; everything else (llm intents, and any message the classifier is not sure of)
 * goes to the LLM.
 */
export function routeFor(routes: IntentRoutes, intent: string, confident: boolean, entities: readonly { kind: string }[] = []): Path {
  const rule = routes.intents[intent];
  if (!rule || !confident) return 'llm';
  if (looksUpOrders(rule.route)) return entities.some((e) => e.kind === ORDER_ENTITY) ? 'llm' : 'template';
  return rule.route === 'template' ? 'template' : reusesAnswers(rule.route) ? 'cache' : 'llm';
}

/**
 * Whether answers of a route class are kept and reused within the intent's TTL: `cacheable`, and
 * `catalog` (the region's catalog answer, kept no longer than the TTL that bounds its staleness).
 * Never `order`: an order's answer is one shopper's.
 */
export function reusesAnswers(route: string | undefined): boolean {
  return route === 'cacheable' || route === 'catalog';
}

/** Whether a route class answers from the store's order system (`order`). */
export function looksUpOrders(route: string | undefined): boolean {
  return route === 'order';
}
