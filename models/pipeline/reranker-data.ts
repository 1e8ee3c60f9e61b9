/**
 * Data of the default reranker: the store knowledge base as passages, synthetic training queries
 * over it, and the public SciFact train split (read from the shared data folder, never copied).
 *
 * Nothing here reads `kb/questions.jsonl`: that file is the held-out retrieval test set, used only
 * by the evaluation (models/cli/rerank-eval.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32, sharedDataPath } from './datasets.ts';
import { catalogPassage, kbPassages, policyPassages, type Passage } from '../../shared/domain/store-passages.ts';
import { storeCatalog, storeFaq, storeIntents, storePolicies, type CatalogItem } from './store-data.ts';

export { catalogPassage, type Passage };

/** One passage per `##` section of policies.md (the committed store's by default). */
export const policySections = (sections = storePolicies()): Passage[] => policyPassages(sections);

/** A query with the ids of the passages that answer it. */
export interface RerankQuery {
  query: string;
  relevant: string[];
  /** When set, only these passage ids may serve as candidates (and so as negatives). */
  pool?: 'catalog' | 'policies' | 'all';
  /** Where the query comes from (for weighting and reports). */
  source: string;
}

/** The store knowledge base: catalog titles (`KB-SKU-xxxx`), policy sections, FAQ entries. */
export function storeKbPassages(): Passage[] {
  return kbPassages(storeCatalog(), storePolicies(), storeFaq());
}

// ---------------------------------------------------------------------------------------------
// Synthetic store queries

/** The series (or book) a title belongs to: the title before ", Vol.", ":", "(" or " Box Set". */
export function seriesOf(title: string): string {
  return title.split(/,\s*Vol\.|:|\(| Box Set| Deluxe Edition| Omnibus/)[0].trim();
}

/** How a customer might type a title: lowercase, sometimes without punctuation or subtitle. */
function titleVariants(c: CatalogItem): string[] {
  const lower = c.title.toLowerCase();
  const noSubtitle = lower.split(':')[0];
  const plain = (s: string) => s.replace(/[^a-z0-9' ]+/g, ' ').replace(/\s+/g, ' ').trim();
  const variants = [lower, plain(lower)];
  if (c.volume !== null) {
    const series = seriesOf(c.title).toLowerCase();
    variants.push(`${series} vol ${c.volume}`, `${series} volume ${c.volume}`, `${series} ${c.volume}`);
  } else {
    variants.push(plain(noSubtitle));
  }
  return [...new Set(variants)];
}

const STOP = new Set(
  'a an the and or of to in on for with by from at as is are was were be its it his her their this that into who whom which what when where while over after before about up out all his has have had only one two three new more most'.split(' '),
);

function contentWords(text: string): string[] {
  return (text.toLowerCase().match(/[a-z][a-z'-]+/g) ?? []).filter((w) => !STOP.has(w) && w.length > 2);
}

const AGE_PHRASES: Record<string, string[]> = {
  'All ages': ['is it ok for young kids', 'good for a 7 year old'],
  Teen: ['is it ok for a 13 year old', 'appropriate for teens'],
  'Older Teen': ['is it ok for a 15 year old', 'is it suitable for older teens'],
  Mature: ['does it have adult content', 'is it too violent for kids'],
};

/**
 * Queries generated from the catalog's own fields. Series-level questions (author, premise, age
 * rating) count every title of the series as relevant; title-level ones (price, stock, format,
 * description) count only that title, so other volumes and formats become hard negatives.
 */
export function catalogQueries(seed = 7): RerankQuery[] {
  const rand = mulberry32(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(rand() * xs.length)];
  const catalog = storeCatalog();
  const bySeries = new Map<string, string[]>();
  for (const c of catalog) {
    const key = `${seriesOf(c.title).toLowerCase()}|${c.author}`;
    bySeries.set(key, [...(bySeries.get(key) ?? []), c.id]);
  }
  const out: RerankQuery[] = [];
  for (const c of catalog) {
    const series = seriesOf(c.title);
    const s = series.toLowerCase();
    const seriesIds = bySeries.get(`${s}|${c.author}`)!;
    const t = () => pick(titleVariants(c));
    const words = contentWords(c.description);
    const about = words.filter((_, i) => i % 2 === 0).slice(0, 4).join(' ');
    const seriesLevel = [
      pick([`who wrote ${s}`, `who is the author of ${series}`, `${s} author`]),
      pick([`what is ${s} about`, `${s} plot`, `tell me about ${series}`]),
      `${pick([s, series])} ${pick(AGE_PHRASES[c.ageRating] ?? ['age rating'])}`,
    ];
    const titleLevel = [
      pick([`how much is ${t()}`, `price of ${t()}`, `${t()} price`, `${t()} cost`]),
      pick([`is ${t()} in stock`, `do you have ${t()}`, `${t()} available`]),
      pick([`is ${t()} ${c.format}`, `${t()} ${c.format}`, `${c.format} ${t()}`]),
      pick([`${c.type.replace('_', ' ')} about ${about}`, `${about}`, `book where ${words.slice(0, 3).join(' ')}`]),
    ];
    // Two series-level and two title-level queries per title, chosen by the seeded generator.
    const sl = shuffle(seriesLevel, rand).slice(0, 2);
    const tl = shuffle(titleLevel, rand).slice(0, 2);
    for (const q of sl) out.push({ query: q, relevant: seriesIds, pool: 'catalog', source: 'catalog' });
    for (const q of tl) out.push({ query: q, relevant: [c.id], pool: 'catalog', source: 'catalog' });
  }
  return dedupeQueries(out);
}

function shuffle<T>(xs: T[], rand: () => number): T[] {
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** The intents whose whole topic one policy section covers. */
const INTENT_POLICY: Record<string, string> = {
  shipping_info: 'policies#shipping',
  return_policy: 'policies#returns-refunds',
  store_hours_contact: 'policies#store-hours-contact',
  order_status: 'policies#orders',
  purchase_help: 'policies#payment',
};

/**
 * FAQ questions (relevant: the entry and the policy section of its intent) and the labeled
 * train-split utterances of the store's intents (relevant: the policy section of the intent,
 * candidates: policy sections only, since an unlabeled FAQ entry may well answer them).
 */
export function policyQueries(): RerankQuery[] {
  const out: RerankQuery[] = [];
  for (const f of storeFaq()) {
    const section = INTENT_POLICY[f.intent];
    out.push({ query: f.question, relevant: section ? [f.id, section] : [f.id], pool: 'all', source: 'faq' });
  }
  for (const e of storeIntents().train) {
    const section = INTENT_POLICY[e.label];
    if (section) out.push({ query: e.text, relevant: [section], pool: 'policies', source: 'intents' });
  }
  return dedupeQueries(out);
}

function dedupeQueries(qs: RerankQuery[]): RerankQuery[] {
  const seen = new Set<string>();
  return qs.filter((q) => {
    const k = q.query.toLowerCase().trim();
    if (!k || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// SciFact (BEIR layout; claims CC BY 4.0, abstracts ODC-By 1.0)

export interface RetrievalSet {
  passages: Passage[];
  queries: RerankQuery[];
}

export function loadSciFact(split: 'train' | 'test' = 'train'): RetrievalSet {
  const dir = sharedDataPath('scifact');
  const lines = (p: string) => readFileSync(join(dir, p), 'utf8').split('\n').filter((l) => l.trim());
  const passages = lines('corpus.jsonl').map((l) => {
    const d = JSON.parse(l) as { _id: string; title: string; text: string };
    return { id: d._id, text: `${d.title} ${d.text}` };
  });
  const claims = new Map(lines('queries.jsonl').map((l) => {
    const q = JSON.parse(l) as { _id: string; text: string };
    return [q._id, q.text] as const;
  }));
  const rel = new Map<string, string[]>();
  for (const l of lines(join('qrels', `${split}.tsv`)).slice(1)) {
    const [qid, did] = l.split('\t');
    rel.set(qid, [...(rel.get(qid) ?? []), did]);
  }
  const queries = [...rel.entries()]
    .filter(([qid]) => claims.has(qid))
    .map(([qid, relevant]) => ({ query: claims.get(qid)!, relevant, pool: 'all' as const, source: 'scifact' }));
  return { passages, queries };
}

/** Texts whose document frequencies give the reranker's IDF table (general + scientific + store). */
export function idfCorpus(stsbSentences: string[], scifact: Passage[]): string[] {
  return [...stsbSentences, ...scifact.map((p) => p.text), ...storeKbPassages().map((p) => p.text)];
}
