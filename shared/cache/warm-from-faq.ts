/**
 * Cache warming: the pack's FAQ answers of `cacheable` intents are put into the semantic cache
 * under the key frame of their own question (the frame a shopper's standalone message of those
 * words gets), with the intent's TTL, so the first asking of a FAQ-type question is already a
 * hit. The answers are the store's own curated text, not a model's. Ids are `faq:<entry id>`, so
 * warming again (another isolate, a redeploy) rewrites the same rows; entries this cache already
 * holds are left alone. `catalog` intents are not warmed: their answers are rows that change.
 * A seeded entry answers only at the global hit threshold (semantic-cache.ts SEEDED_ID_PREFIX).
 */
import type { DialogueEntities } from '../conversation/dialogue-entities.ts';
import { resolveFollowUp } from '../conversation/follow-up.ts';
import type { IntentRoutes } from '../routing/intent-routes.ts';
import { SEEDED_ID_PREFIX, type SemanticCache } from './semantic-cache.ts';

export interface WarmFaqEntry {
  id: string;
  question: string;
  answer: string;
  intent: string;
}

export const warmEntryId = (faqId: string) => `${SEEDED_ID_PREFIX}${faqId}`;

/** Seeds the cache; returns how many entries it wrote. */
export async function warmFromFaq(
  cache: SemanticCache,
  o: { faq: readonly WarmFaqEntry[]; routes: IntentRoutes; dialogue: DialogueEntities; embed: (texts: string[]) => Promise<Float32Array[]>; now?: number },
): Promise<number> {
  const now = o.now ?? Date.now();
  await cache.ready(now);
  const todo = o.faq.filter((f) => o.routes.intents[f.intent]?.route === 'cacheable' && !cache.has(warmEntryId(f.id)));
  if (!todo.length) return 0;
  const vectors = await o.embed(todo.map((f) => f.question));
  for (const [i, f] of todo.entries()) {
    const ttlMs = o.routes.intents[f.intent].cacheTtlSeconds! * 1000;
    const frame = cache.frame(f.question, f.intent, resolveFollowUp(f.question, [], o.dialogue).entities);
    await cache.store({ id: warmEntryId(f.id), frame, vector: vectors[i], question: f.question, answer: f.answer, sources: [f.id], createdAt: now, expiresAt: now + ttlMs });
  }
  return todo.length;
}
