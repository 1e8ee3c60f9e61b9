/**
 * Key entities of a message — numbers, order and product ids, dates, places and domain terms
 * (product series, carriers, payment methods) — reduced to a signature. Two messages may share a
 * cached answer only when their signatures are equal: "do you ship to Alaska" never gets the
 * Hawaii answer, and "Berserk vol 3" never gets the vol 2 answer.
 */
import { isEverydayName, saidAsName } from './title-names.ts';

export type EntityKind = 'number' | 'order' | 'product' | 'date' | 'place' | 'term';

export interface Entity {
  kind: EntityKind;
  /** Canonical value (lower case, aliases resolved). */
  value: string;
}

/**
 * An id a domain recognises by its shape (entities.json `patterns`): a regular expression
 * (matched case-insensitively) and the canonical value it becomes, where `{n}` is capture group n
 * and `{n:w}` the group zero-padded to w characters ("KB-SKU-12" → "kb-sku-{1:4}" → "kb-sku-0012").
 * The captured text is then no number, and not read for phrases.
 */
export interface EntityPattern {
  kind: EntityKind;
  match: string;
  value: string;
}

const KINDS: readonly EntityKind[] = ['number', 'order', 'product', 'date', 'place', 'term'];

/** entities.json's phrases by kind (its other fields — domain, about, patterns — left out). */
export function gazetteerOf(entitiesJson: Partial<Record<EntityKind, Record<string, string[]>>>): Gazetteer {
  return Object.fromEntries(KINDS.filter((k) => entitiesJson[k]).map((k) => [k, entitiesJson[k]]));
}

/** entities.json's `patterns` (by kind) as a list, in file order per kind. */
export function entityPatternsOf(patterns: Partial<Record<EntityKind, { match: string; value: string }[]>> | undefined): EntityPattern[] {
  return Object.entries(patterns ?? {}).flatMap(([kind, ps]) => (ps ?? []).map((p) => ({ kind: kind as EntityKind, match: p.match, value: p.value })));
}

/** Every id the patterns find in a text: its kind, canonical value and the text matched, in pattern order. */
export function idsIn(text: string, patterns: readonly EntityPattern[]): { kind: EntityKind; value: string; match: string }[] {
  const out: { kind: EntityKind; value: string; match: string }[] = [];
  for (const p of patterns) {
    for (const m of text.matchAll(new RegExp(p.match, 'gi'))) out.push({ kind: p.kind, value: normalizeForEntities(fillTemplate(p.value, m)), match: m[0] });
  }
  return out;
}

/** Phrases by canonical value, e.g. { place: { "united kingdom": ["uk", "britain", ...] } }. */

// Built-in places: US states and territories, countries and regions by their English names. A
// domain's own places (a store's city, military mail "APO", "PO box") are its entities.json `place`.
export type Gazetteer = Partial<Record<EntityKind, Record<string, string[]>>>;

const US_STATES =
  'alabama alaska arizona arkansas california colorado connecticut delaware florida georgia hawaii idaho illinois indiana iowa kansas kentucky louisiana maine maryland massachusetts michigan minnesota mississippi missouri montana nebraska nevada ohio oklahoma oregon pennsylvania tennessee texas utah vermont virginia washington wisconsin wyoming';
const MULTI_WORD_PLACES = [
  'new hampshire', 'new jersey', 'new mexico', 'new york', 'north carolina', 'north dakota', 'rhode island',
  'south carolina', 'south dakota', 'west virginia', 'district of columbia', 'puerto rico', 'guam',
  'us virgin islands', 'american samoa', 'northern mariana islands', 'canada', 'mexico', 'japan', 'south korea',
  'north korea', 'taiwan', 'hong kong', 'singapore', 'philippines', 'australia', 'new zealand', 'germany',
  'france', 'spain', 'italy', 'ireland', 'netherlands', 'belgium', 'sweden', 'denmark', 'finland', 'poland',
  'portugal', 'austria', 'greece', 'norway', 'switzerland', 'iceland', 'russia', 'belarus', 'iran', 'syria',
  'cuba', 'crimea', 'china', 'india', 'brazil', 'argentina', 'chile', 'israel', 'turkey', 'egypt', 'nigeria',
  'south africa', 'kenya', 'indonesia', 'malaysia', 'thailand', 'vietnam', 'europe', 'european union', 'asia',
  'africa', 'south america',
];
const PLACE_ALIASES: Record<string, string[]> = {
  'united kingdom': ['uk', 'u k', 'britain', 'great britain', 'england', 'scotland', 'wales', 'northern ireland'],
  'united states': ['usa', 'u s a', 'united states', 'america', 'the us', 'the states', 'contiguous us', 'lower 48'],
  'district of columbia': ['dc', 'd c', 'washington dc'],
  'european union': ['eu'],
};

const MONTHS = 'january february march april may june july august september october november december';
const MONTH_ABBR: Record<string, string> = { jan: 'january', feb: 'february', mar: 'march', apr: 'april', jun: 'june', jul: 'july', aug: 'august', sep: 'september', sept: 'september', oct: 'october', nov: 'november', dec: 'december' };
const DAY_WORDS =
  'monday tuesday wednesday thursday friday saturday sunday today tonight tomorrow yesterday weekend christmas thanksgiving easter halloween';

export function baseGazetteer(): Gazetteer {
  const place: Record<string, string[]> = {};
  for (const s of US_STATES.split(' ')) place[s] = [s];
  for (const p of MULTI_WORD_PLACES) place[p] = [p];
  for (const [k, v] of Object.entries(PLACE_ALIASES)) place[k] = [...(place[k] ?? []), ...v];
  const date: Record<string, string[]> = {};
  for (const m of MONTHS.split(' ')) date[m] = [m];
  for (const [a, m] of Object.entries(MONTH_ABBR)) date[m].push(a);
  for (const d of DAY_WORDS.split(' ')) date[d] = [d];
  date['christmas'].push('xmas', 'christmas eve');
  date['new year'] = ['new year', 'new years', 'new year s'];
  return { place, date };
}

/** Lower case, accents stripped, everything but letters and digits turned into single spaces. */
export function normalizeForEntities(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}$.\-]+/gu, ' ')
    .trim();
}

interface PhraseEntry {
  words: string[];
  kind: EntityKind;
  value: string;
  /** A product named by one everyday word ("smile"): read only when said as a name (title-names.ts). */
  everyday?: boolean;
}

/** Extracts entities with a gazetteer merged over the built-in places and dates. */
export class EntityExtractor {
  private readonly byFirstWord = new Map<string, PhraseEntry[]>();
  private readonly patterns: { kind: EntityKind; re: RegExp; value: string }[];

  private readonly everyday: ReadonlySet<string>;

  /**
   * `patterns`: the domain's id shapes (none built in: order and product ids belong to a domain);
   * `everydayWords`: the catalog titles' everyday words (conversation.json), whose one-word names are products only when said as names.
   */
  constructor(extra: Gazetteer = {}, patterns: readonly EntityPattern[] = [], everydayWords: readonly string[] = []) {
    this.everyday = new Set(everydayWords);
    this.patterns = patterns.map((p) => ({ kind: p.kind, re: new RegExp(p.match, 'gid'), value: p.value }));
    for (const g of [baseGazetteer(), extra]) {
      for (const [kind, values] of Object.entries(g) as [EntityKind, Record<string, string[]>][]) {
        for (const [value, phrases] of Object.entries(values)) {
          for (const phrase of new Set([value, ...phrases])) this.addPhrase(kind, value, phrase);
        }
      }
    }
    // Longest first; of one length a title first, so that a title said as one ("do you have march") is the title (the others when not).
    for (const list of this.byFirstWord.values()) list.sort((a, b) => b.words.length - a.words.length || Number(b.kind === 'product') - Number(a.kind === 'product'));
  }

  private addPhrase(kind: EntityKind, value: string, phrase: string): void {
    const words = wordsOf(normalizeForEntities(phrase));
    if (!words.length) return;
    const list = this.byFirstWord.get(words[0]) ?? [];
    list.push({ words, kind, value: normalizeForEntities(value), ...(kind === 'product' && isEverydayName(words, this.everyday) ? { everyday: true } : {}) });
    this.byFirstWord.set(words[0], list);
  }

  extract(text: string): Entity[] {
    const out = new Map<string, Entity>();
    const add = (kind: EntityKind, value: string) => out.set(`${kind}:${value}`, { kind, value });
    const raw = text.slice(0, 4000);
    // The domain's ids first; the captured part of each (the whole match without groups) is blanked.
    let masked = raw;
    for (const p of this.patterns) {
      for (const m of raw.matchAll(p.re)) {
        add(p.kind, normalizeForEntities(fillTemplate(p.value, m)));
        const [from, to] = m.indices?.[1] ?? m.indices![0];
        masked = masked.slice(0, from) + ' '.repeat(to - from) + masked.slice(to);
      }
    }
    for (const m of masked.matchAll(/\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})\/(\d{1,2})(?:\/(\d{2,4}))?\b/g)) add('date', m[0]);
    const stripped = masked.replace(/\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}\/\d{1,2}(?:\/\d{2,4})?\b/g, ' ');
    const words = wordsOf(normalizeForEntities(stripped));
    // A number inside a phrase is the phrase's ("kaiju no. 8", "1984"), not a number of its own.
    const inPhrases = new Map<string, number>();
    for (let i = 0; i < words.length; i++) {
      const cands = this.byFirstWord.get(words[i]);
      if (!cands) continue;
      const hit = cands.find((c) => c.words.every((w, j) => words[i + j] === w) && (!c.everyday || saidAsName(words, i, i + c.words.length)));
      if (hit) {
        add(hit.kind, hit.value);
        for (const d of hit.words.join(' ').match(/\d+/g) ?? []) inPhrases.set(canonicalNumber(d), (inPhrases.get(canonicalNumber(d)) ?? 0) + 1);
        i += hit.words.length - 1;
      }
    }
    for (const m of stripped.matchAll(/\d+(?:[.,]\d+)*/g)) {
      const n = canonicalNumber(m[0]);
      const taken = inPhrases.get(n) ?? 0;
      if (taken > 0) inPhrases.set(n, taken - 1);
      else add('number', n);
    }
    return [...out.values()].sort((a, b) => (a.kind + a.value < b.kind + b.value ? -1 : 1));
  }

  /** The canonical signature used as the cache's entity key ("" when there are none). */
  signature(text: string): string {
    return entitySignature(this.extract(text));
  }
}

export function entitySignature(entities: Entity[]): string {
  return entities.map((e) => `${e.kind}:${e.value}`).join('|');
}

function wordsOf(norm: string): string[] {
  return norm
    .replace(/[$.\-]+/g, ' ')
    .split(' ')
    .filter(Boolean);
}

/** A pattern's value template filled from a match: `{n}` group n, `{n:w}` zero-padded to width w. */
export function fillTemplate(template: string, m: RegExpMatchArray): string {
  return template.replace(/\{(\d+)(?::(\d+))?\}/g, (_, n: string, w?: string) => (m[Number(n)] ?? '').padStart(w ? Number(w) : 0, '0'));
}

function canonicalNumber(s: string): string {
  const n = Number(s.replace(/,/g, ''));
  return Number.isFinite(n) ? String(n) : s;
}
