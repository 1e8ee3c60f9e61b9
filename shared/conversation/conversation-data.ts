/**
 * The domain's conversation data (domains/<store>/conversation.json), checked with zod where a
 * tier loads it, and the dialogue entity extractor made from it, the store's terms and catalog.
 * Refuses a file whose slots are not edition/format/language maps of phrase lists, or whose
 * intent cues name an entity kind the extractor does not make.
 */
import { z } from 'zod';
import type { EntityPattern, Gazetteer } from '../cache/entities.ts';
import { storeGazetteer, type CatalogTitle } from '../cache/store-gazetteer.ts';
import { DialogueEntities, type DialogueKind, type DialogueSlots } from './dialogue-entities.ts';

const nounWord = z.string().regex(/^[\p{Ll}\p{N}'-]+$/u, 'must be one lower-case word');
const Phrases = z.record(z.string().min(1), z.array(z.string().min(1)));
const KINDS = ['product', 'volume', 'edition', 'format', 'language', 'place', 'order', 'term', 'date', 'number'] as const satisfies readonly DialogueKind[];
const EntityKind = z.enum(KINDS);

export const ConversationData = z.object({
  domain: z.string().min(1),
  about: z.string().optional(),
  slots: z.strictObject({ edition: Phrases.optional(), format: Phrases.optional(), language: Phrases.optional() }),
  placeAliases: Phrases.optional(),
  /**
   * The domain's words for its things, one lower-case word each: after "that"/"this" they point
   * back at the thing in talk ("that book", `demonstrative`); said with a determiner earlier in a
   * message they are what its "it" means ("a poster … is it free", `antecedent`).
   */
  itemNouns: z.strictObject({ demonstrative: z.array(nounWord).default([]), antecedent: z.array(nounWord).default([]) }).optional(),
  /** Words after which a catalog title no longer names its series ("Berserk Deluxe Edition 1" → "berserk"): editions, sets. */
  seriesEndWords: z.array(z.string().min(1)).optional(),
  /** The catalog titles' everyday English words, one lower-case word each (written by scripts/everyday-words.ts): a name of only one of them is the title only when said as a name. */
  everydayWords: z.array(nounWord).optional(),
  /** The intent (a template route) that answers a message made only of thanks, acknowledgement or greeting words. */
  courtesyIntent: z.string().min(1).optional(),
  /** What a message about a product asks, by its words (shared/conversation/intent-cues.ts). */
  intentCues: z
    .array(
      z.strictObject({
        intent: z.string().min(1),
        with: z.array(EntityKind).min(1),
        unless: z.array(EntityKind).optional(),
        cues: z.array(z.string().min(1)).min(1),
        unlessCues: z.array(z.string().min(1)).optional(),
        except: z.array(z.string().min(1)).optional(),
        atLeast: z.number().int().min(1).max(10).optional(),
        decisive: z.boolean().optional(),
      }),
    )
    .optional(),
  /**
   * An id the assistant asked for, given as the reply ("it's 12345" after "where is my order?" was
   * answered with a request for the order number): after a turn of one of `after`'s intents that
   * named no `kind` entity, a message of at most `maxWords` words holding `match` (or an entity of
   * that kind) is that id (`value`: as entities.json patterns, `{1}` the first group) asked in the
   * earlier turn's question (shared/conversation/id-reply.ts).
   */
  idReplies: z
    .array(
      z.union([
        z.strictObject({
          kind: EntityKind,
          after: z.array(z.string().min(1)).min(1),
          match: z.string().min(1).refine(compiles, 'must be a valid regular expression'),
          value: z.string().min(1),
          maxWords: z.number().int().min(1).max(20).default(6),
        }),
        /**
         * The email an order was placed with, asked for after its id (docs/orders.md): after a turn
         * of `after`'s intents that named an `of` entity, a message of at most `maxWords` words
         * besides an email address re-asks that turn's question. The address is the engine's shape
         * (shared/privacy/pii.ts, the one redaction removes) and never an entity: the region reads
         * it from that message alone.
         */
        z.strictObject({
          kind: z.literal('email'),
          of: EntityKind,
          after: z.array(z.string().min(1)).min(1),
          maxWords: z.number().int().min(1).max(20).default(6),
        }),
      ]),
    )
    .optional(),
});

function compiles(re: string): boolean {
  try {
    new RegExp(re, 'gi');
    return true;
  } catch {
    return false;
  }
}

export function parseConversationData(json: unknown): DialogueSlots {
  const r = ConversationData.safeParse(json);
  if (!r.success) throw new Error(`invalid conversation data: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/**
 * The extractor for a domain: its gazetteer (entities.json: terms, its own places), catalog series
 * as products, its slots, place aliases and item nouns (conversation.json), its ids by shape
 * (entities.json `patterns`).
 */
export function dialogueEntitiesFor(entities: Gazetteer, catalog: CatalogTitle[], conversation: unknown, patterns: readonly EntityPattern[]): DialogueEntities {
  const slots = parseConversationData(conversation);
  return new DialogueEntities(storeGazetteer(entities, catalog, slots), slots, patterns, catalog);
}
