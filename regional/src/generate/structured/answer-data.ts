/**
 * What the offline generator answers from, loaded once and validated: the catalog, policies.md
 * parsed into blocks of tables and items, the FAQ, the decline and handoff texts of
 * templates.json, the domain's answers.json (place aliases, cue words, edition words,
 * synonyms, the sentences of catalog and destination answers), its own places (entities.json)
 * and how its catalog values read (domain.json `catalog`). Refuses a domain whose answers.json
 * does not parse, or whose aliases point at a destination the policies never name.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { EntityPattern } from '../../../../shared/cache/entities.ts';
import { TemplateAnswers } from '../../../../shared/answers/template-answers.ts';
import { catalogTextOf, type CatalogItem, type CatalogText, type FaqEntry } from '../../../../shared/domain/store-kb.ts';
import { domainPack } from '../../domain/pack-files.ts';
import { STORE_DIR, storeCatalog, storeFaq } from '../../domain/store-files.ts';
import { CatalogIndex } from './catalog-match.ts';
import { parsePolicies, type PolicyBlock } from './policy-tables.ts';
import { contentTokens, normalize } from './text.ts';

const words = z.array(z.string().min(1).max(64)).max(200);
/** A sentence template (catalog-answer.ts fillSentence): `{title}`, `{subject}`, `{price}`, `{stock}`, `{stock|copy|copies}`, `{a:format}`, … */
const sentence = z.string().min(1).max(300);

export const AnswersFile = z
  .object({
    about: z.string().optional(),
    notFound: z.string().min(1).max(300),
    handoff: z.string().min(1).max(300),
    /** Destination named in the policies → places (entity values) that fall under it. */
    placeAliases: z.record(z.string().min(2), words),
    /** The policies' label for every other destination (a table row). */
    otherPlaces: z.string().min(2),
    /** How a destination's row of the policies reads: `{place}` its label, `{rates}` its methods' prices and times. */
    destinationSentence: sentence,
    shippingCues: words,
    fieldCues: z.object({ price: words, stock: words, release: words, author: words, age: words, format: words, language: words, contents: words, genre: words.optional(), restock: words.default([]) }).strict(),
    editionWords: words,
    /**
     * Recommendations from the catalog (recommend.ts) for messages of `intent`: `ageRatings` the
     * youngest age each of the catalog's age ratings suits; `kids` words that mean a child of
     * `age`; `sentences`: `like` opens an answer to "something like {seed}", `picks` any other,
     * `item` says each title (`{title}`, `{author}`, `{genres}`, `{price}`), `ask` asks what the
     * shopper likes when the message says nothing to go by ("what should I read next?"),
     * `authorTitles` opens the list of an author named in full ("which andy weir books do you carry").
     */
    recommendation: z
      .object({
        intent: z.string().min(1).max(64),
        ageRatings: z.record(z.string().min(1).max(64), z.number().int().min(0).max(99)).default({}),
        kids: z.object({ words: words, age: z.number().int().min(0).max(99) }).optional(),
        /** A genre as shoppers say it → the catalog's other names for it ("sci-fi" → "science fiction"). */
        genreAliases: z.record(z.string().min(1).max(64), words).default({}),
        /** Words that only ask for a suggestion ("recommend", "read", "next"): a message of these alone is asked what the shopper likes. */
        askWords: words.default([]),
        /** Words for a type of book besides its label ("novel" → book, "comics" → graphic_novel). */
        typeAliases: z.record(z.string().min(1).max(64), z.string().min(1).max(64)).default({}),
        /** Phrases asking for the same author's other titles ("anything else by him"). */
        byAuthorCues: words.default([]),
        /**
         * Price wishes (recommend.ts priceWish): `below` words before an amount ("under $10",
         * "less than 15 dollars") and `orLess` after one ("$12 or less"); `cheapest` and `dearest`
         * words that order the picks by price; `cheaper` words that ask, after picks, for ones
         * under the cheapest of them ("anything cheaper?").
         */
        priceCues: z.object({ below: words.default([]), orLess: words.default([]), cheapest: words.default([]), dearest: words.default([]), cheaper: words.default([]) }).strict().default({ below: [], orLess: [], cheapest: [], dearest: [], cheaper: [] }),
        sentences: z.object({ like: sentence, picks: sentence, item: sentence, ask: sentence, byAuthor: sentence, onlyByAuthor: sentence, cheapest: sentence.optional(), dearest: sentence.optional(), below: sentence.optional(), noneBelow: sentence.optional(), authorTitles: sentence.optional() }).strict(),
      })
      .strict()
      .optional(),
    /** Phrases asking what several titles come to together ("together", "altogether", "in total"). */
    totalCues: words.default([]),
    /** Words that ask for a series' newest volume ("latest", "newest"): store-answers.ts latestVolume. */
    latestCues: words.default([]),
    /** Words that ask which volumes of a series the store has ("which volumes", "what volumes", "every volume"): store-answers.ts volumeList. */
    volumeListCues: words.default([]),
    /** Words of the domain any question about a title may hold without asking what its record does not say ("book", "volume"). */
    titleQuestionWords: words.default([]),
    /**
     * How a catalog item's answer says each fact (catalog-answer.ts): `{subject}` is the title in
     * the first sentence and `again` ("It") after; `formats` gives a format its own availability
     * sentence (an ebook is downloaded, not in stock).
     */
    catalogSentences: z
      .object({
        again: z.string().min(1).max(40),
        preorder: sentence,
        preorderUndated: sentence,
        inStock: sentence,
        outOfStock: sentence,
        /** After `outOfStock` when the question asks when it comes back (`fieldCues.restock`): the store's restock rule. */
        restock: sentence.optional(),
        formats: z.record(z.string().min(1).max(64), sentence).optional(),
        author: sentence,
        age: sentence,
        version: sentence,
        contents: sentence,
        describedOnly: sentence,
        /** What kind of book a title is (asked with the `genre` cues): `{type}` its type's label, `{genres}` its genres. */
        genre: sentence.optional(),
        /** After a series question's first volumes (store-answers.ts seriesAnswer): `{count}` the others, `{volumes}` their numbers. */
        seriesMore: sentence.optional(),
        /** Which volumes of a series the store has (store-answers.ts volumeList): `{series}`, `{count}`, `{volumes}`; then those `inStockVolumes`, `outOfStockVolumes`, `preorderVolumes` (each `{volumes}`), or `allInStock`. */
        seriesVolumes: sentence.optional(),
        inStockVolumes: sentence.optional(),
        outOfStockVolumes: sentence.optional(),
        preorderVolumes: sentence.optional(),
        allInStock: sentence.optional(),
        /** A volume the store does not have of a series it carries (store-answers.ts missingVolume): `{series}`, `{volume}`, `{count}` and `{volumes}` those it has. */
        missingVolume: sentence.optional(),
        /** What titles come to together: `{titles}`, `{total}` (asked with `totalCues`). */
        total: sentence.optional(),
        /** What several copies of a title come to: `{count}`, `{title}`, `{total}` ("and if i buy three?"). */
        quantity: sentence.optional(),
      })
      .strict(),
    /** A word or phrase of a question → the word the store's texts use for it. */
    synonyms: z.record(z.string().min(1).max(64), z.string().min(1).max(64)).default({}),
    /** FAQ ids that answer an intent when nothing more specific matches (e.g. order help: where tracking is, the guest lookup). */
    intentDefaults: z.record(z.string().min(1).max(64), z.array(z.string().min(1)).min(1).max(4)).default({}),
    /** Policy sections (document ids) each intent's answers come from: passages of the message's intent rank first. */
    intentSections: z.record(z.string().min(1).max(64), z.array(z.string().min(1))).default({}),
    /** Phrases asking for a person: the answer is the handoff. */
    handoffCues: words.default([]),
    /** The intent that asks for a person: always answered with its template's text (else `handoff`). */
    handoffIntent: z.string().min(1).max(64).optional(),
    /** Intents whose messages are about a catalog title: a title matched loosely still counts for them. */
    catalogIntents: z.array(z.string().min(1).max(64)).default([]),
    /** The intent of shipping questions: a place carried from the previous turn is what it asks about. */
    shippingIntent: z.string().min(1).max(64).optional(),
    /** The FAQ entry whose answer holds the contact details the handoff line names (its grounding). */
    handoffFaq: z.string().min(1),
  })
  .strict();
export type AnswersFile = z.infer<typeof AnswersFile>;
export type CatalogField = keyof AnswersFile['fieldCues'];

const Templates = z.object({ intents: z.record(z.string(), z.object({ source: z.string().default(''), variants: z.array(z.object({ when: z.array(z.string()), text: z.string() })) })) });

export interface StoreAnswerData {
  config: AnswersFile;
  catalog: CatalogItem[];
  catalogIds: Set<string>;
  index: CatalogIndex;
  policies: PolicyBlock[];
  faq: FaqEntry[];
  /** The text of each template intent that has no cue words (oos: the decline, the handoff intent's: the handoff). */
  templateText: Record<string, string>;
  /** The pack's template answers (templates.json), the words the edge answers a template intent with (the variant by cue words). */
  templates: TemplateAnswers;
  /** Every policy block's items and every FAQ entry as a passage, for the lookup when retrieval missed. */
  lookupPassages: { id: string; title: string; text: string }[];
  /** The intent each passage id answers (FAQ entries by their intent, policy sections by intentSections). */
  intentOf: Map<string, string>;
  /** Every word the store's texts use (a question of none of them is not about the store). */
  vocabulary: Set<string>;
  /** The pack's ids by shape (entities.json `patterns`): a message naming an order id is about that order. */
  entityPatterns: readonly EntityPattern[];
  /** The pack's own places (entities.json `place`), read beside the built-in ones. */
  places: Record<string, string[]>;
  /** How the pack's catalog values read (domain.json `catalog`). */
  catalogText: CatalogText;
}

export function buildStoreAnswerData(parts: {
  config: unknown;
  catalog: CatalogItem[];
  policiesMarkdown: string;
  faq: FaqEntry[];
  templates: unknown;
  catalogText: CatalogText;
  entityPatterns?: readonly EntityPattern[];
  places?: Record<string, string[]>;
  /** The catalog titles' everyday English words (conversation.json `everydayWords`): a title is not matched on them alone. */
  everydayWords?: readonly string[];
}): StoreAnswerData {
  const config = AnswersFile.parse(parts.config);
  const policies = parsePolicies(parts.policiesMarkdown);
  const labels = policies.flatMap((b) => [b.path.at(-1) ?? '', ...b.tables.flatMap((t) => t.rows.map((r) => r[0]))]).map(normalize);
  const all = normalize(policies.flatMap((b) => [...b.items, ...b.path]).join(' '));
  const faqIds = new Set(parts.faq.map((f) => f.id));
  for (const id of [...Object.values(config.intentDefaults).flat(), config.handoffFaq]) if (!faqIds.has(id)) throw new Error(`answers.json names ${id}, which faq.json does not hold`);
  const sectionIds = new Set(policies.map((b) => b.documentId));
  for (const id of Object.values(config.intentSections).flat()) if (!sectionIds.has(id)) throw new Error(`answers.json names ${id}, which policies.md does not have`);
  for (const dest of [...Object.keys(config.placeAliases), config.otherPlaces]) {
    const d = normalize(dest);
    if (!labels.some((l) => l.includes(d)) && !all.includes(d)) throw new Error(`answers.json names "${dest}", which the policies never name`);
  }
  const templates = Templates.parse(parts.templates);
  const templateText: Record<string, string> = {};
  for (const [intent, t] of Object.entries(templates.intents)) {
    const fallback = t.variants.find((v) => v.when.length === 0);
    if (fallback) templateText[intent] = fallback.text;
  }
  return {
    config,
    templates: new TemplateAnswers({ faqMinSimilarity: 1, intents: templates.intents, handoff: config.handoff }, []),
    entityPatterns: parts.entityPatterns ?? [],
    places: parts.places ?? {},
    catalogText: parts.catalogText,
    catalog: parts.catalog,
    catalogIds: new Set(parts.catalog.map((c) => c.id)),
    index: new CatalogIndex(parts.catalog, new Set(config.editionWords.map(normalize)), new Set(parts.everydayWords ?? [])),
    policies,
    faq: parts.faq,
    templateText,
    intentOf: new Map([...parts.faq.map((f) => [f.id, f.intent] as const), ...Object.entries(config.intentSections).flatMap(([intent, ids]) => ids.map((id) => [id, intent] as const))]),
    vocabulary: new Set(contentTokens([parts.policiesMarkdown, ...parts.faq.flatMap((f) => [f.question, f.answer]), ...parts.catalog.map((c) => `${c.title} ${c.author} ${c.description} ${c.genre.join(' ')}`)].join('\n'))),
    lookupPassages: [
      ...parts.faq.map((f) => ({ id: f.id, title: f.question, text: f.answer })),
      ...policies.filter((b) => b.items.length).map((b) => ({ id: b.documentId, title: b.path.join(' › '), text: b.items.join('\n') })),
    ],
  };
}

/** The store domain's answer data from its folder (default: domains/kitsune-books). */
export function loadStoreAnswerData(dir = STORE_DIR): StoreAnswerData {
  const kb = join(dir, 'kb');
  const pack = domainPack(dir);
  return buildStoreAnswerData({
    config: JSON.parse(readFileSync(join(dir, 'answers.json'), 'utf8')),
    catalog: storeCatalog(kb),
    policiesMarkdown: readFileSync(join(kb, 'policies.md'), 'utf8'),
    faq: storeFaq(kb),
    templates: JSON.parse(readFileSync(join(dir, 'templates.json'), 'utf8')),
    entityPatterns: pack.entityPatterns,
    places: pack.gazetteer.place,
    everydayWords: pack.conversation.everydayWords,
    catalogText: catalogTextOf(pack.domain),
  });
}
