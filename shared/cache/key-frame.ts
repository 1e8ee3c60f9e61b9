/**
 * The semantic cache's key frame: what determines a cacheable answer — the intent, the entity
 * signature (what the question is about: a title, a destination, a payment method) and the aspect
 * asked about (cost, time, format…), plus a qualifier for asked-about values ("is it a hardcover").
 * Only entries in the same frame are compared, and the embedding is the tie-breaker within it.
 *
 * Two frames are compatible when intent, aspect and entity signature are equal and their
 * qualifiers do not conflict: "what format is X" may reuse the answer to "is X a hardcover", but
 * "is X a paperback" never does. The frame is made from the text and entities it is given —
 * the edge passes a follow-up's resolved ones — never from anything else.
 */
import type { AspectDetector } from './aspects.ts';

/** An entity as any extractor gives it (shared/cache/entities.ts, shared/conversation/): kind and canonical value. */
export interface FrameEntity {
  kind: string;
  value: string;
}

export interface KeyFrame {
  intent: string;
  /** Aspect name(s), "+"-joined; "" for an intent without aspects. */
  aspect: string;
  /** Asked-about values, "+"-joined; "" when none. */
  qualifier: string;
  /** Entity signature without the asked-about and absorbed values. */
  entities: string;
  /** The cue phrases that chose the aspect (explanations only; not part of the key). */
  cues?: string[];
}

const SEP = '#';

export function keyFrame(text: string, intent: string, entities: readonly FrameEntity[], aspects: AspectDetector | null): KeyFrame {
  const found = aspects?.detect(text, intent);
  const subject = found ? entities.filter((e) => !found.dropEntities.has(e.value)) : [...entities];
  const sig = [...new Set(subject.map((e) => `${e.kind}:${e.value}`))].sort().join('|');
  return { intent, aspect: found?.aspect ?? '', qualifier: found?.qualifier ?? '', entities: sig, cues: found?.cues ?? [] };
}

/** What the index partitions on within an intent: equal tags are the only candidates. */
export function frameTag(f: Pick<KeyFrame, 'aspect' | 'entities'>): string {
  return `${f.aspect}${SEP}${f.entities}`;
}

/** The stored form of a frame (the storage's entity-signature column): aspect#qualifier#entities. */
export function frameKey(f: Pick<KeyFrame, 'aspect' | 'qualifier' | 'entities'>): string {
  return `${f.aspect}${SEP}${f.qualifier}${SEP}${f.entities}`;
}

/**
 * A stored key back to its parts. A key written before frames existed (a bare entity signature)
 * gets an aspect no frame has, so it never matches a new lookup and ages out with its TTL.
 */
export function parseFrameKey(key: string): { tag: string; qualifier: string } {
  const a = key.indexOf(SEP);
  const b = a < 0 ? -1 : key.indexOf(SEP, a + 1);
  if (a < 0 || b < 0) return { tag: `\u0000legacy${SEP}${key}`, qualifier: '' };
  return { tag: key.slice(0, a) + SEP + key.slice(b + 1), qualifier: key.slice(a + 1, b) };
}

/** Whether a cached entry's frame may answer a query's frame (equal tags assumed). */
export function qualifiersCompatible(query: string, entry: string): boolean {
  return !query || !entry || query === entry;
}
