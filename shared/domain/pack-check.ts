/**
 * Validates a whole domain pack (domains/README.md) from its files' texts: each file against its
 * schema (pack-schema.ts), then the rules across files (every label is a declared intent, template
 * intents have templates, FAQ intents and retrieval ids exist, no duplicate or near-duplicate
 * messages between training and test, the pack's own minimum counts and frozen lines). Every issue
 * names the file and line. No I/O: the caller reads the folder (regional/src/domain/pack-files.ts,
 * models/cli/domain.ts) and gets back either the issues or the parsed pack, never both.
 */
import { RoutingConfigSchema, RoutingManifestSchema } from '../routing/routing-config-schema.ts';
import type { RoutingConfig, VersionedRoutingConfig } from '../routing/routing-config.ts';
import type { z } from 'zod';
import type { FaqEntry, TemplatesFile } from '../answers/template-answers.ts';
import { entityPatternsOf, type EntityPattern, type Gazetteer } from '../cache/entities.ts';
import { ConversationData } from '../conversation/conversation-data.ts';
import { CacheAspectsSchema } from '../cache/aspects-schema.ts';
import type { CacheAspects } from '../cache/aspects.ts';
import type { DialogueSlots } from '../conversation/dialogue-entities.ts';
import type { IntentRoutes } from '../routing/intent-routes.ts';
import { lineOfParseError, lineOfPath } from './json-lines.ts';
import type { LabeledExample } from './labelled-examples.ts';
import { nearDuplicates } from './near-duplicates.ts';
import { assistantPrompt, type AssistantPrompt } from './assistant-prompt.ts';
import {
  CacheJsonSchema,
  CatalogJsonSchema,
  DomainJsonSchema,
  EntitiesJsonSchema,
  FaqJsonSchema,
  IntentRowSchema,
  OrderAnswersJsonSchema,
  ParaphraseRowSchema,
  QuestionRowSchema,
  RoutesJsonSchema,
  TemplatesJsonSchema,
  type DomainJson,
} from './pack-schema.ts';
import { policySectionsOf, slugify, type CatalogItem } from './store-kb.ts';
import { DemoOrdersSchema, type OrderBody } from '../orders/order-record.ts';
import { looksUpOrders, ORDER_ENTITY } from '../routing/route-for.ts';

export interface PackIssue {
  file: string;
  line?: number;
  message: string;
}

export const formatIssue = (i: PackIssue): string => `${i.file}${i.line ? `:${i.line}` : ''}: ${i.message}`;

/** A knowledge-base document: a Markdown file's `#`/`##` section, id `<file stem>#<slug>`. */
export interface KbSection {
  id: string;
  title: string;
  text: string;
  file: string;
}

export interface DomainPack {
  domain: DomainJson;
  /** The routing rules, from domain.json (routes.json, when a pack keeps one, must agree). */
  routes: IntentRoutes;
  templates: TemplatesFile;
  gazetteer: Gazetteer;
  /** The domain's id shapes (entities.json `patterns`), in file order per kind. */
  entityPatterns: EntityPattern[];
  cache: z.infer<typeof CacheJsonSchema>;
  /** The tuned routing config (routing/routing-config.json with its manifest), when the pack has one. */
  routingConfig?: VersionedRoutingConfig;
  /** What a follow-up may carry between turns (conversation.json; none: no product slots or place aliases). */
  conversation: DialogueSlots & { domain: string };
  /** What cacheable questions ask about, per intent (cache-aspects.json; none: the key frame is intent + entities). */
  cacheAspects: CacheAspects;
  faq: FaqEntry[];
  catalog: CatalogItem[];
  sections: KbSection[];
  questions: z.infer<typeof QuestionRowSchema>[];
  paraphrases: z.infer<typeof ParaphraseRowSchema>[];
  intents: { train: LabeledExample[]; val: LabeledExample[]; test: LabeledExample[] };
  /** The generator's settings: domain.json's `assistant` with its instructions file read (assistant-prompt.ts). */
  assistant: AssistantPrompt;
  /** How the region words an order's answer (orders.json); present when an intent's route is `order`. */
  orderAnswers?: z.infer<typeof OrderAnswersJsonSchema>;
  /** The pack's demo orders (demo/orders.json), for the region's stand-in when no order system is configured. */
  demoOrders?: OrderBody[];
}

/** A pack's tuned routing config: the folder `npm run tune -- --write` makes (registrable as kind routing-config). */
export const ROUTING_CONFIG_PATH = 'routing/routing-config.json';
export const ROUTING_MANIFEST_PATH = 'routing/manifest.json';

export type PackCheck = { ok: true; pack: DomainPack; summary: string[] } | { ok: false; issues: PackIssue[]; summary: string[] };

const SPLITS = ['train', 'val', 'test'] as const;
const normalize = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}\s]/gu, '').replace(/\s+/g, ' ').trim();

/**
 * `files`: the pack's text files by path relative to the pack ("domain.json", "intents/train.jsonl",
 * "kb/policies.md", …). `sha256` hashes a text (hex) for the frozen-lines rule (node:crypto or
 * WebCrypto, the caller's choice; without it that rule is skipped). `dataRules: false` skips the
 * rules about training data quality (near-duplicates, minimum counts, frozen lines): a service
 * loading a pack at start needs it well-formed, not well-split, and near-duplicates cost seconds.
 */
export function checkPack(files: Readonly<Record<string, string>>, sha256?: (text: string) => string, opts: { dataRules?: boolean } = {}): PackCheck {
  const dataRules = opts.dataRules ?? true;
  const issues: PackIssue[] = [];
  const summary: string[] = [];
  const add = (file: string, message: string, line?: number) => issues.push({ file, line, message });

  function json<S extends z.ZodType>(file: string, schema: S, required: boolean): z.infer<S> | undefined {
    const text = files[file];
    if (text === undefined) {
      if (required) add(file, 'missing (required file)');
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (e) {
      add(file, `invalid JSON (${(e as Error).message})`, lineOfParseError(text, (e as Error).message));
      return undefined;
    }
    const r = schema.safeParse(value);
    if (!r.success) {
      for (const iss of r.error.issues) add(file, `${iss.path.length ? iss.path.join('.') : '(root)'}: ${iss.message}`, lineOfPath(text, iss.path));
      return undefined;
    }
    return r.data;
  }
  function jsonl<S extends z.ZodType>(file: string, schema: S, required: boolean): { row: z.infer<S>; line: number }[] {
    const text = files[file];
    if (text === undefined) {
      if (required) add(file, 'missing (required file)');
      return [];
    }
    const out: { row: z.infer<S>; line: number }[] = [];
    text.split('\n').forEach((raw, i) => {
      const l = raw.replace(/\r$/, '');
      if (!l.trim()) return;
      let value: unknown;
      try {
        value = JSON.parse(l);
      } catch (e) {
        return add(file, `invalid JSON (${(e as Error).message})`, i + 1);
      }
      const r = schema.safeParse(value);
      if (r.success) out.push({ row: r.data, line: i + 1 });
      else add(file, r.error.issues.map((iss) => `${iss.path.length ? iss.path.join('.') : '(row)'}: ${iss.message}`).join('; '), i + 1);
    });
    return out;
  }
  /** The line of `path` in a JSON file (for rules across files). */
  const at = (file: string, path: PropertyKey[]) => (files[file] === undefined ? undefined : lineOfPath(files[file], path));

  const domain = json('domain.json', DomainJsonSchema, true);
  const templates = json('templates.json', TemplatesJsonSchema, true);
  const entities = json('entities.json', EntitiesJsonSchema, false);
  const cache = json('cache.json', CacheJsonSchema, true);
  const routesFile = json('routes.json', RoutesJsonSchema, false);
  const conversation = json('conversation.json', ConversationData, false);
  const cacheAspects = json('cache-aspects.json', CacheAspectsSchema, false);
  const routingConfig = json(ROUTING_CONFIG_PATH, RoutingConfigSchema, false);
  const routingManifest = json(ROUTING_MANIFEST_PATH, RoutingManifestSchema, routingConfig !== undefined);
  const faq = json('kb/faq.json', FaqJsonSchema, false) ?? [];
  const ordersRouted = Object.values(domain?.intents ?? {}).some((r) => looksUpOrders(r.route));
  const orderAnswers = json('orders.json', OrderAnswersJsonSchema, ordersRouted);
  const demoOrders = json('demo/orders.json', DemoOrdersSchema, false);
  const catalog = json('kb/catalog.json', CatalogJsonSchema, false) ?? [];
  const intentRows = Object.fromEntries(SPLITS.map((s) => [s, jsonl(`intents/${s}.jsonl`, IntentRowSchema, s !== 'val')])) as Record<
    (typeof SPLITS)[number],
    { row: LabeledExample; line: number }[]
  >;
  const questions = jsonl('kb/questions.jsonl', QuestionRowSchema, false);
  const paraphrases = jsonl('eval/paraphrases.jsonl', ParaphraseRowSchema, false);
  const sections: KbSection[] = Object.keys(files)
    .filter((f) => /^kb\/.+\.md$/.test(f))
    .sort()
    .flatMap((file) => {
      const stem = file.slice(3, -3).replace(/\//g, '-');
      return policySectionsOf(files[file]).map((s) => ({ id: `${stem}#${slugify(s.heading)}`, title: s.heading, text: s.lines.join('\n').trim(), file }));
    });

  if (domain) {
    const intents = domain.intents;
    const known = (l: string) => l in intents;
    if (routesFile) {
      if (routesFile.domain !== domain.name) add('routes.json', `domain "${routesFile.domain}" is not domain.json's name "${domain.name}"`, at('routes.json', ['domain']));
      for (const l of new Set([...Object.keys(intents), ...Object.keys(routesFile.intents)])) {
        if (JSON.stringify(routesFile.intents[l]) !== JSON.stringify(intents[l])) {
          add('routes.json', `intents.${l}: differs from domain.json (domain.json is the source; keep routes.json equal or delete it)`, at('routes.json', ['intents', l]));
        }
      }
    }
    if (templates) {
      for (const [l, r] of Object.entries(intents)) {
        if (r.route === 'template' && !templates.intents[l]) add('templates.json', `intents: no template for "${l}", whose route is template`, at('templates.json', ['intents']));
      }
      for (const l of Object.keys(templates.intents)) if (!known(l)) add('templates.json', `intents.${l}: not an intent of domain.json`, at('templates.json', ['intents', l]));
      if (templates.domain && templates.domain !== domain.name) add('templates.json', `domain "${templates.domain}" is not "${domain.name}"`, at('templates.json', ['domain']));
    }
    for (const [l, r] of Object.entries(intents)) {
      if (!looksUpOrders(r.route)) continue;
      if (templates && !templates.intents[l]) add('templates.json', `intents: no template for "${l}", whose route is order (the answer without an order id, which asks for it)`, at('templates.json', ['intents']));
      if (!domain.entities.includes(ORDER_ENTITY)) add('domain.json', `intents.${l}: its route is order, but entities do not list "${ORDER_ENTITY}" (the id it looks up)`, at('domain.json', ['intents', l]));
    }
    for (const [i, rule] of (conversation?.idReplies ?? []).entries()) {
      rule.after.forEach((l, j) => known(l) || add('conversation.json', `idReplies[${i}].after[${j}]: "${l}" is not an intent of domain.json`, at('conversation.json', ['idReplies', i, 'after', j])));
    }
    if (conversation && conversation.domain !== domain.name) add('conversation.json', `domain "${conversation.domain}" is not "${domain.name}"`, at('conversation.json', ['domain']));
    const courtesy = conversation?.courtesyIntent;
    if (courtesy && intents[courtesy]?.route !== 'template') add('conversation.json', `courtesyIntent: "${courtesy}" is not an intent of domain.json whose route is template`, at('conversation.json', ['courtesyIntent']));
    for (const [i, rule] of (conversation?.intentCues ?? []).entries()) {
      if (!known(rule.intent)) add('conversation.json', `intentCues[${i}].intent: "${rule.intent}" is not an intent of domain.json`, at('conversation.json', ['intentCues', i, 'intent']));
    }
    if (entities) {
      for (const k of ['number', 'order', 'product', 'date', 'place', 'term'] as const) {
        if (entities[k] && !domain.entities.includes(k)) add('entities.json', `${k}: domain.json's entities do not list "${k}"`, at('entities.json', [k]));
        if (entities.patterns?.[k] && !domain.entities.includes(k)) add('entities.json', `patterns.${k}: domain.json's entities do not list "${k}"`, at('entities.json', ['patterns', k]));
      }
    }
    if (routingConfig) {
      for (const l of Object.keys(routingConfig.routeThresholds)) if (!known(l)) add(ROUTING_CONFIG_PATH, `routeThresholds.${l}: not an intent of domain.json`, at(ROUTING_CONFIG_PATH, ['routeThresholds', l]));
      const digest = routingManifest?.files['routing-config.json'];
      if (routingManifest && digest === undefined) add(ROUTING_MANIFEST_PATH, 'files: no entry for routing-config.json', at(ROUTING_MANIFEST_PATH, ['files']));
      else if (routingManifest && sha256 && sha256(files[ROUTING_CONFIG_PATH]) !== digest) add(ROUTING_CONFIG_PATH, 'sha256 differs from routing/manifest.json (write it with npm run tune -- --write)');
    }
    const pattern = (k: 'catalog' | 'faq') => (domain.checks?.idPatterns?.[k] ? new RegExp(domain.checks.idPatterns[k]) : null);
    const [faqId, catalogId] = [pattern('faq'), pattern('catalog')];
    const faqIds = new Set<string>();
    faq.forEach((f, i) => {
      if (faqId && !faqId.test(f.id)) add('kb/faq.json', `[${i}].id: "${f.id}" does not match ${faqId.source} (domain.json checks.idPatterns)`, at('kb/faq.json', [i, 'id']));
      if (faqIds.has(f.id)) add('kb/faq.json', `[${i}].id: duplicate id "${f.id}"`, at('kb/faq.json', [i, 'id']));
      faqIds.add(f.id);
      if (!known(f.intent)) add('kb/faq.json', `[${i}].intent: unknown intent "${f.intent}"`, at('kb/faq.json', [i, 'intent']));
    });
    const ids = new Set<string>(faqIds);
    const info = domain.catalog;
    if (catalog.length && !info) add('domain.json', 'catalog: a pack with a kb/catalog.json must describe it (catalog.types: each item type and its label)', at('domain.json', ['name']));
    catalog.forEach((c, i) => {
      const item = (field: string) => at('kb/catalog.json', [i, field]);
      if (info && !(c.type in info.types)) add('kb/catalog.json', `[${i}].type: "${c.type}" is not one of domain.json's catalog.types (${Object.keys(info.types).join(', ')})`, item('type'));
      if (info?.formats && !info.formats.includes(c.format)) add('kb/catalog.json', `[${i}].format: "${c.format}" is not one of domain.json's catalog.formats`, item('format'));
      if (info?.ageRatings && !info.ageRatings.includes(c.ageRating)) add('kb/catalog.json', `[${i}].ageRating: "${c.ageRating}" is not one of domain.json's catalog.ageRatings`, item('ageRating'));
      if (catalogId && !catalogId.test(c.id)) add('kb/catalog.json', `[${i}].id: "${c.id}" does not match ${catalogId.source} (domain.json checks.idPatterns)`, at('kb/catalog.json', [i, 'id']));
      if (ids.has(c.id)) add('kb/catalog.json', `[${i}].id: duplicate id "${c.id}"`, at('kb/catalog.json', [i, 'id']));
      ids.add(c.id);
    });
    for (const s of sections) {
      if (ids.has(s.id)) add(s.file, `two knowledge-base documents with id "${s.id}"`);
      ids.add(s.id);
    }
    const a = domain.assistant;
    if (a) {
      if (files[a.instructions] === undefined) add('domain.json', `assistant.instructions: no file "${a.instructions}" in the pack`, at('domain.json', ['assistant', 'instructions']));
      else if (!files[a.instructions].trim()) add(a.instructions, 'empty: the assistant needs instructions');
      for (const l of Object.keys(a.maxTokens ?? {})) if (!known(l)) add('domain.json', `assistant.maxTokens.${l}: not an intent of domain.json`, at('domain.json', ['assistant', 'maxTokens', l]));
      (a.largeTier ?? []).forEach((l, i) => known(l) || add('domain.json', `assistant.largeTier[${i}]: "${l}" is not an intent of domain.json`, at('domain.json', ['assistant', 'largeTier', i])));
    }
    for (const { row, line } of questions) for (const id of row.relevant) if (!ids.has(id)) add('kb/questions.jsonl', `unknown relevant id "${id}"`, line);

    // Labelled messages: known labels, no duplicates, no near-duplicates of test, minimum counts.
    const shared = new Set(Object.values(domain.build?.sharedTrainingData?.labels ?? {}));
    const seen = new Map<string, string>();
    const counts = Object.fromEntries(SPLITS.map((s) => [s, Object.fromEntries(Object.keys(intents).map((l) => [l, 0]))])) as Record<string, Record<string, number>>;
    for (const split of SPLITS) {
      const file = `intents/${split}.jsonl`;
      for (const { row, line } of intentRows[split]) {
        if (!known(row.label)) {
          add(file, `unknown label "${row.label}" (not an intent of domain.json)`, line);
          continue;
        }
        counts[split][row.label]++;
        const n = normalize(row.text);
        if (!n) add(file, 'text is empty after normalization', line);
        else if (seen.has(n)) add(file, `duplicate of ${seen.get(n)}: "${row.text}"`, line);
        else seen.set(n, `${file}:${line}`);
      }
    }
    const min = dataRules ? (domain.checks?.minPerLabel ?? {}) : {};
    for (const split of SPLITS) {
      for (const l of Object.keys(intents)) {
        const need = min[split] ?? (split === 'train' && !shared.has(l) ? 1 : 0);
        if (counts[split][l] < need) add(`intents/${split}.jsonl`, `label ${l} has ${counts[split][l]} examples, minimum is ${need}`);
      }
    }
    const near = domain.checks?.nearDuplicate ?? { trigram: 0.6, words: 0.8 };
    const where = (split: string) => intentRows[split as 'train'].map(({ row, line }) => ({ text: row.text, where: { file: `intents/${split}.jsonl`, line } }));
    const pairs = dataRules ? nearDuplicates([...where('train'), ...where('val')], where('test'), near) : [];
    for (const p of pairs) {
      add(p.a.where.file, `near-duplicate of ${p.b.where.file}:${p.b.where.line} (trigram ${p.trigram.toFixed(2)}, words ${p.words.toFixed(2)}): "${p.a.text}" ~ "${p.b.text}"`, p.a.where.line);
    }
    for (const f of dataRules ? (domain.checks?.frozen ?? []) : []) {
      const text = files[f.file];
      if (text === undefined) add('domain.json', `checks.frozen: ${f.file} is missing`, at('domain.json', ['checks', 'frozen']));
      else if (sha256 && sha256(text.split('\n').slice(0, f.lines).join('\n') + '\n') !== f.sha256) {
        add(f.file, `the first ${f.lines} lines changed (frozen by domain.json checks.frozen); append new lines after them`, 1);
      }
    }

    const w = Math.max(5, ...Object.keys(intents).map((l) => l.length)) + 2;
    summary.push('label'.padEnd(w) + 'route'.padEnd(11) + 'train'.padStart(7) + 'val'.padStart(6) + 'test'.padStart(6));
    for (const [l, r] of Object.entries(intents)) {
      summary.push(l.padEnd(w) + r.route.padEnd(11) + String(counts.train[l]).padStart(7) + String(counts.val[l]).padStart(6) + String(counts.test[l]).padStart(6));
    }
    summary.push(`knowledge base: ${catalog.length} catalog items, ${faq.length} FAQ entries, ${sections.length} document sections; ${questions.length} retrieval questions`);
    summary.push(`near-duplicates between train/val and test: ${pairs.length}; paraphrase pairs: ${paraphrases.length}`);
  }

  if (issues.length || !domain || !templates || !cache) return { ok: false, issues, summary };
  const { domain: _d, about: _a, patterns, ...gazetteer } = entities ?? {};
  return {
    ok: true,
    summary,
    pack: {
      domain,
      routes: { domain: domain.name, intents: domain.intents },
      templates: templates as TemplatesFile,
      gazetteer: gazetteer as Gazetteer,
      entityPatterns: entityPatternsOf(patterns),
      cache,
      ...(routingConfig && routingManifest ? { routingConfig: { id: `${routingManifest.name}@${routingManifest.version}`, config: routingConfig as RoutingConfig } } : {}),
      conversation: conversation ?? { domain: domain.name, slots: {} },
      cacheAspects: cacheAspects ?? { intents: {} },
      faq,
      catalog: catalog as CatalogItem[],
      sections,
      questions: questions.map((q) => q.row),
      paraphrases: paraphrases.map((p) => p.row),
      intents: { train: intentRows.train.map((r) => r.row), val: intentRows.val.map((r) => r.row), test: intentRows.test.map((r) => r.row) },
      assistant: assistantPrompt(domain, domain.assistant ? files[domain.assistant.instructions] : undefined),
      ...(orderAnswers ? { orderAnswers } : {}),
      ...(demoOrders ? { demoOrders: demoOrders.orders } : {}),
    },
  };
}
