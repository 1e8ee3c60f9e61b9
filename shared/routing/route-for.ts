/** The routing decision for a classified message (zod-free: the browser widget bundles it). */
import type { IntentRoutes } from './intent-routes.ts';

export type Path = 'template' | 'cache' | 'llm';

/**
 * The path a classified message takes: a confident template intent is answered from its
 * template; a confident cacheable or catalog intent looks in the semantic cache first; everything else
 * (llm intents, and any message the classifier is not sure of) goes to the LLM.
 */
export function routeFor(routes: IntentRoutes, intent: string, confident: boolean): Path {
  const rule = routes.intents[intent];
  if (!rule || !confident) return 'llm';
  return rule.route === 'template' ? 'template' : reusesAnswers(rule.route) ? 'cache' : 'llm';
}

/**
 * Whether answers of a route class are kept and reused within the intent's TTL: `cacheable`, and
 * `catalog` (the region's catalog answer, kept no longer than the TTL that bounds its staleness).
 */
export function reusesAnswers(route: string | undefined): boolean {
  return route === 'cacheable' || route === 'catalog';
}
