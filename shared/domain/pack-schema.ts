/**
 * The shapes of a domain pack (domains/README.md): one folder that describes one assistant. Each
 * file has its zod schema here; pack-check.ts validates a whole folder against them. Schemas only:
 * no I/O, no cross-file rules (those are in pack-check.ts).
 */
import { z } from 'zod';
import { LlmPrioritySchema, RouteClassSchema, reusesAnswers } from '../routing/intent-routes.ts';
import { ORDER_FIELDS } from '../orders/order-record.ts';

const nonEmpty = z.string().trim().min(1);
/** An intent or domain name as code and metrics see it: lower snake/kebab case. */
const identifier = z.string().regex(/^[a-z][a-z0-9_-]*$/, 'must be lower case letters, digits, "_" or "-", starting with a letter');

/** One intent's routing rule; the same fields as a routes.json rule (shared/routing/intent-routes.ts). */
export const IntentRuleSchema = z.strictObject({
  route: RouteClassSchema,
  description: z.string(),
  cacheTtlSeconds: z.number().int().positive().optional(),
  /** Where its messages wait when the LLM is busy: `high` (e.g. a purchase), `low` (small talk), default `normal`. */
  llmPriority: LlmPrioritySchema.optional(),
});

export const EntityKindSchema = z.enum(['number', 'order', 'product', 'date', 'place', 'term']);

const outputTokens = z.number().int().min(1).max(32_768);

/** The widget's words that name the business, per language ("en", "ja"): they replace the widget's generic ones. */
export const WidgetWordsSchema = z.strictObject({
  heading: nonEmpty.optional(),
  open: nonEmpty.optional(),
  close: nonEmpty.optional(),
  placeholder: nonEmpty.optional(),
  welcome: nonEmpty.optional(),
});
export const WidgetSchema = z.strictObject({
  strings: z.record(z.string().regex(/^[a-z]{2,3}$/, 'must be a language subtag such as "en"'), WidgetWordsSchema),
});

/** How the pack's assistant talks to the LLM (the region's generator): its standing instructions, output budgets and tiers by intent. */
export const AssistantSchema = z.strictObject({
  /** A Markdown file of the pack (not under kb/), sent whole as the system prompt: who the assistant is, what it may say, how. */
  instructions: z.string().regex(/^(?!kb\/)[A-Za-z0-9][A-Za-z0-9_./-]*\.md$/, 'must be a .md file of the pack outside kb/, e.g. "assistant.md"'),
  /** Most output tokens per intent (an answer that needs more is usually wrong); `defaultMaxTokens` for the others (default 300). */
  maxTokens: z.record(identifier, outputTokens).optional(),
  defaultMaxTokens: outputTokens.optional(),
  /** Intents always answered by the large model; the others by the small one unless the message looks complex (long, several questions, a comparison). */
  largeTier: z.array(identifier).optional(),
  /** What the region says when the LLM gave no usable answer and none is remembered (default: templates.json's `handoff`). */
  handoff: nonEmpty.optional(),
});

/**
 * What the pack's catalog (kb/catalog.json) holds and how its values read: the item types with the
 * word that names each ("light_novel" → "Light novel"), the currency of its prices, and, when
 * given, the only formats and age ratings an item may have. The engine knows none of them.
 */
export const CatalogInfoSchema = z.strictObject({
  /** Item type (an item's `type`) → its label in answers and knowledge-base documents. */
  types: z.record(identifier, nonEmpty).refine((t) => Object.keys(t).length > 0, 'must name at least one item type'),
  /** ISO 4217 code of the catalog's prices (default USD), written with domain.json's locale. */
  currency: z.string().regex(/^[A-Z]{3}$/, 'must be an ISO 4217 code such as "USD"').optional(),
  /** The formats an item may have (an item's `format`); any when absent. */
  formats: z.array(nonEmpty).min(1).optional(),
  /** The age ratings an item may have (an item's `ageRating`); any when absent. */
  ageRatings: z.array(nonEmpty).min(1).optional(),
});
export type CatalogInfo = z.infer<typeof CatalogInfoSchema>;

export const DomainJsonSchema = z
  .strictObject({
    $schema: z.string().optional(),
    /** Identifier of the assistant (routes, cache keys, registry names). */
    name: identifier,
    /** What users see ("Kitsune Books"). */
    displayName: nonEmpty,
    /** BCP 47 language tag of the users' messages ("en-US"). */
    locale: z.string().regex(/^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, 'must be a BCP 47 tag such as "en-US"'),
    description: z.string().optional(),
    /** Every label of intents/*.jsonl with its route; "oos" (out of scope) must be one of them. */
    intents: z.record(identifier, IntentRuleSchema),
    /** The entity kinds that key the semantic cache (entities.json may only add phrases of these kinds). */
    entities: z.array(EntityKindSchema).min(1),
    /** The generator's instructions and budgets (AssistantSchema); without it, generic instructions naming displayName. */
    assistant: AssistantSchema.optional(),
    /** The widget's words for this business (WidgetSchema); without it, the widget's generic ones. */
    widget: WidgetSchema.optional(),
    /** What kb/catalog.json's items are (CatalogInfoSchema); required with a non-empty catalog. */
    catalog: CatalogInfoSchema.optional(),
    /** Model folders, relative to the pack: the classifier (`domain build` writes models/intent) and the embedder. */
    models: z.strictObject({ classifier: nonEmpty, embedder: nonEmpty }),
    /** How `domain build` trains the classifier. */
    build: z
      .strictObject({
        /** Classifier options (models/pipeline/classifier.ts), e.g. {"heads": 2, "epochs": 20}. */
        classifier: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])).optional(),
        /** Extra training rows read at build time from a public set in the shared data folder (never copied into the pack). */
        sharedTrainingData: z
          .strictObject({
            set: z.enum(['banking77', 'clinc150']),
            /** Source label → this pack's intent; labels not listed are left out. */
            labels: z.record(z.string(), identifier),
            /** At most this many rows per source label (seeded choice), to keep intents balanced. */
            maxPerLabel: z.number().int().positive().optional(),
            /** Which of the set's splits feed the pack's train and test (default: both). */
            splits: z.array(z.enum(['train', 'test'])).optional(),
          })
          .optional(),
      })
      .optional(),
    /** Data-quality rules `domain check` enforces beyond the schema. */
    checks: z
      .strictObject({
        minPerLabel: z.strictObject({ train: z.number().int().min(0), val: z.number().int().min(0), test: z.number().int().min(0) }).partial().optional(),
        /** Lines of a file that must never change (a frozen test split), by sha256 of the first `lines` lines joined with "\n" plus "\n". */
        frozen: z.array(z.strictObject({ file: nonEmpty, lines: z.number().int().positive(), sha256: z.string().regex(/^[0-9a-f]{64}$/) })).optional(),
        /** Near-duplicate thresholds between train/val and test (character-trigram / word-set Jaccard); default 0.6 / 0.8. */
        nearDuplicate: z.strictObject({ trigram: z.number().min(0).max(1), words: z.number().min(0).max(1) }).optional(),
        /** Regular expressions the ids of catalog items and FAQ entries must match. */
        idPatterns: z.strictObject({ catalog: z.string().optional(), faq: z.string().optional() }).optional(),
      })
      .optional(),
  })
  .superRefine((d, ctx) => {
    for (const [intent, rule] of Object.entries(d.intents)) {
      if (reusesAnswers(rule.route) && rule.cacheTtlSeconds === undefined) {
        ctx.addIssue({ code: 'custom', path: ['intents', intent, 'cacheTtlSeconds'], message: `a ${rule.route} intent needs cacheTtlSeconds` });
      }
    }
    if (!('oos' in d.intents)) ctx.addIssue({ code: 'custom', path: ['intents'], message: 'an "oos" (out of scope) intent is required' });
  });
export type DomainJson = z.infer<typeof DomainJsonSchema>;

export const RoutesJsonSchema = z.strictObject({ domain: identifier, intents: z.record(identifier, IntentRuleSchema) });

export const TemplatesJsonSchema = z.strictObject({
  domain: identifier.optional(),
  faqMinSimilarity: z.number().min(0).max(1),
  intents: z.record(
    identifier,
    z.strictObject({
      source: nonEmpty,
      variants: z.array(z.strictObject({ when: z.array(nonEmpty), text: nonEmpty })).min(1),
    }),
  ),
  /** What the edge says when the region cannot answer. */
  handoff: nonEmpty,
});

/** A sentence of an order answer, or alternatives (the first whose `{field}`s the order has). */
const orderSentence = z.union([nonEmpty, z.array(nonEmpty).min(1)]);
const statusKeyShape = z.string().regex(/^[a-z0-9]+(_[a-z0-9]+)*$/, 'must be a status in lower case with "_" between words, e.g. "on_hold"');
const fieldsIn = (t: string) => [...t.matchAll(/\{(\w+)\}/g)].map((m) => m[1]);
/**
 * How the region answers a shopper's own order from the order system (route `order`,
 * docs/orders.md): sentences per status (a sentence, or alternatives, naming `{field}`s of the
 * order record: shared/orders/order-record.ts), notes a status adds for what the message asks (its
 * cue words), and what is said for an id the order system does not know (`{id}`), and, when the
 * shopper must give the order's email (ORDER_VERIFY=email), the ask, the one answer for an
 * unknown id or another email, and the refusal after too many emails that were not the order's.
 */
export const OrderAnswersJsonSchema = z
  .strictObject({
    about: z.string().optional(),
    /** How the order entity's value (lower case) is spelled to the order system and in answers. */
    idCase: z.enum(['upper', 'lower', 'as-is']).default('upper'),
    statuses: z.record(statusKeyShape, z.array(orderSentence).min(1)),
    /** A status the pack does not list ({status}: the order system's word). */
    otherStatus: z.array(orderSentence).min(1),
    notes: z.array(z.strictObject({ when: z.array(nonEmpty).min(1), statuses: z.array(statusKeyShape).optional(), text: nonEmpty })).default([]),
    notFound: nonEmpty,
    /** ORDER_VERIFY=email (docs/orders.md): asks for the email the order ({id}) was placed with; said with no lookup, so it tells nothing of the order. */
    askEmail: nonEmpty.optional(),
    /** ORDER_VERIFY=email: an unknown id and an email that is not the order's get this one answer ({id}), so neither tells the other apart. */
    notFoundWithEmail: nonEmpty.optional(),
    /** ORDER_VERIFY=email: the answer ({id}) once a session has given too many emails for the order that were not its (ORDER_VERIFY_MAX_ATTEMPTS); no lookup is made. */
    tooManyAttempts: nonEmpty.optional(),
  })
  .superRefine((o, ctx) => {
    const texts: [PropertyKey[], string][] = [
      ...Object.entries(o.statuses).flatMap(([k, ss]) => ss.flatMap((x, i) => [x].flat().map((t) => [['statuses', k, i], t] as [PropertyKey[], string]))),
      ...o.otherStatus.flatMap((x, i) => [x].flat().map((t) => [['otherStatus', i], t] as [PropertyKey[], string])),
      ...o.notes.map((n, i) => [['notes', i, 'text'], n.text] as [PropertyKey[], string]),
      [['notFound'], o.notFound],
      ...(['askEmail', 'notFoundWithEmail', 'tooManyAttempts'] as const).flatMap((k) => (o[k] ? [[[k], o[k]] as [PropertyKey[], string]] : [])),
    ];
    for (const [path, t] of texts) {
      for (const f of fieldsIn(t)) if (!(ORDER_FIELDS as string[]).includes(f)) ctx.addIssue({ code: 'custom', path, message: `{${f}} is not a field of an order (${ORDER_FIELDS.join(', ')})` });
    }
  });

const phrases = z.record(nonEmpty, z.array(nonEmpty));
const compiles = (re: string) => {
  try {
    new RegExp(re, 'gid');
    return true;
  } catch {
    return false;
  }
};
/** An id shape (shared/cache/entities.ts EntityPattern): a regular expression and the value it becomes ({1}, {1:4}). */
export const EntityPatternSchema = z.strictObject({
  match: nonEmpty.refine(compiles, 'must be a valid regular expression'),
  value: nonEmpty,
});
export const EntitiesJsonSchema = z
  .strictObject({
    domain: identifier.optional(),
    about: z.string().optional(),
    /** The domain's ids by shape, per entity kind (order and product ids, references…). */
    patterns: z.partialRecord(EntityKindSchema, z.array(EntityPatternSchema)).optional(),
  })
  .extend(Object.fromEntries(EntityKindSchema.options.map((k) => [k, phrases.optional()])) as Record<z.infer<typeof EntityKindSchema>, z.ZodOptional<typeof phrases>>);

export const CacheJsonSchema = z.looseObject({
  about: z.string().optional(),
  embedder: z.string().optional(),
  thresholds: z
    .strictObject({
      hit: z.number().min(0).max(1),
      stale: z.number().min(0).max(1),
      /** Per-intent hit thresholds within the cache key frame (docs/cache-keys.md). */
      intents: z.record(identifier, z.number().min(0).max(1)).optional(),
    })
    .refine((t) => t.stale <= t.hit, 'stale must be <= hit'),
  refreshMs: z.number().int().min(0),
});

export const FaqJsonSchema = z.array(z.strictObject({ id: nonEmpty, question: nonEmpty, answer: nonEmpty, intent: identifier }));

const twoDecimals = z.number().positive().refine((n) => Math.abs(n * 100 - Math.round(n * 100)) < 1e-6, 'at most 2 decimals');
export const CatalogJsonSchema = z.array(
  z
    .strictObject({
      id: nonEmpty,
      title: nonEmpty,
      author: nonEmpty,
      /** One of domain.json's catalog.types. */
      type: identifier,
      genre: z.array(nonEmpty).min(1),
      volume: z.number().int().min(0).nullable(),
      /** One of domain.json's catalog.formats, when it lists them. */
      format: nonEmpty,
      language: nonEmpty,
      /** One of domain.json's catalog.ageRatings, when it lists them. */
      ageRating: nonEmpty,
      price: twoDecimals,
      stock: z.number().int().min(0),
      preorder: z.boolean(),
      releaseDate: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be YYYY-MM-DD').optional(),
      description: nonEmpty,
    })
    .refine((i) => i.preorder === (i.releaseDate !== undefined), { message: 'releaseDate is required on preorder items and allowed only there', path: ['releaseDate'] }),
);

export const IntentRowSchema = z.strictObject({ text: nonEmpty, label: identifier });
export const QuestionRowSchema = z.strictObject({ question: nonEmpty, relevant: z.array(nonEmpty).min(1) });
/** Paraphrase pairs for cache calibration (eval/paraphrases.jsonl): same = may share an answer. */
export const ParaphraseRowSchema = z
  .union([
    z.strictObject({ a: nonEmpty, b: nonEmpty, same: z.boolean() }),
    // The full form (models/eval/paraphrase-set.ts): split, intent, label 0/1, kind, groups, needs.
    z.looseObject({ a: nonEmpty, b: nonEmpty, label: z.union([z.literal(0), z.literal(1)]), intent: identifier, split: z.enum(['train', 'val', 'test']) }),
  ])
  .transform((r) => ({ a: r.a, b: r.b, same: 'same' in r ? r.same : r.label === 1 }));
