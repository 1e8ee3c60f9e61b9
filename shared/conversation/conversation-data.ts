/**
 * The domain's conversation data (domains/<store>/conversation.json), checked with zod where a
 * tier loads it, and the dialogue entity extractor made from it, the store's terms and catalog.
 * Refuses a file whose slots are not edition/format/language maps of phrase lists.
 */
import { z } from 'zod';
import type { EntityPattern } from '../cache/entities.ts';
import { storeGazetteer, type CatalogTitle } from '../cache/store-gazetteer.ts';
import { DialogueEntities, type DialogueSlots } from './dialogue-entities.ts';

const Phrases = z.record(z.string().min(1), z.array(z.string().min(1)));

export const ConversationData = z.object({
  domain: z.string().min(1),
  about: z.string().optional(),
  slots: z.strictObject({ edition: Phrases.optional(), format: Phrases.optional(), language: Phrases.optional() }),
  placeAliases: Phrases.optional(),
  /** The intent (a template route) that answers a message made only of thanks, acknowledgement or greeting words. */
  courtesyIntent: z.string().min(1).optional(),
});

export function parseConversationData(json: unknown): DialogueSlots {
  const r = ConversationData.safeParse(json);
  if (!r.success) throw new Error(`invalid conversation data: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}

/** The extractor for a store: catalog series as products, its terms, its slots and place aliases, its ids by shape (entities.json `patterns`). */
export function dialogueEntitiesFor(terms: Record<string, string[]>, catalog: CatalogTitle[], conversation: unknown, patterns: readonly EntityPattern[]): DialogueEntities {
  return new DialogueEntities(storeGazetteer(terms, catalog), parseConversationData(conversation), patterns);
}
