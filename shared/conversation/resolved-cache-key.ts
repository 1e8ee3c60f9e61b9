/**
 * The semantic-cache rule of a conversation, one for the edge and the widget: the key is made
 * from the resolved message and its entities, never from the raw follow-up ("how long does it
 * take?" after Canada and after Japan are two keys), and a follow-up that was not resolved
 * confidently gets no key at all: it neither reads nor writes the cache.
 */
import { dialogueSignature } from './dialogue-entities.ts';
import { CONFIDENT_RESOLUTION, type FollowUpResolution } from './follow-up.ts';

export interface ResolvedCacheKey {
  /** The text to embed. */
  text: string;
  /** The entity signature the entry must share. */
  entitySig: string;
}

export function resolvedCacheKey(r: FollowUpResolution): ResolvedCacheKey | null {
  if (r.kind === 'unresolved' || (r.kind === 'resolved' && r.confidence < CONFIDENT_RESOLUTION)) return null;
  return { text: r.text, entitySig: dialogueSignature(r.entities) };
}
