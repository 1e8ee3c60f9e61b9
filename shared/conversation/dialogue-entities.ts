/**
 * The entities of one chat message with where they stand in it: series (from the catalog),
 * volume ("vol 3", "the first one", "the next one"), edition, format and language (the domain's
 * slots), destination (places and their aliases), the domain's ids by shape (entities.json
 * `patterns`: order numbers, SKUs, a card's last digits), store terms, dates and other numbers. The follow-up resolver substitutes and carries them between turns; their
 * signature keys the semantic cache. Refuses nothing: unknown words are simply not entities.
 */
import { baseGazetteer, fillTemplate, normalizeForEntities, type EntityPattern, type Gazetteer } from '../cache/entities.ts';
import { withinOneEdit } from '../cache/aspects.ts';
import { cardinal, ORDINAL_HEADS, ordinal, RELATIVE_VOLUME, VOLUME_WORDS } from './english-cues.ts';
import { IntentCues, type IntentCueRule } from './intent-cues.ts';
import { TitlePrices, type PricedTitle } from './title-prices.ts';
import { withoutEmails } from '../privacy/pii.ts';
import { isEverydayName, isFunctionWord, saidAsName } from '../cache/title-names.ts';

export type DialogueKind = 'product' | 'volume' | 'edition' | 'format' | 'language' | 'place' | 'order' | 'term' | 'date' | 'number';

export interface DialogueEntity {
  kind: DialogueKind;
  /** Canonical value (lower case, aliases resolved); a volume is its number, or "+1"/"-1" for next/previous. */
  value: string;
}

/** An entity and the words it covers, [start, end). */
export interface Span extends DialogueEntity {
  start: number;
  end: number;
  /** Read from a slip of the keyboard ("paperbak"): the words are not the phrase's. */
  slip?: true;
}

export interface MessageAnalysis {
  words: string[];
  spans: Span[];
  entities: DialogueEntity[];
}

/** The domain's slot phrases (conversation.json): slot kind → canonical value → phrases. */
export interface DialogueSlots {
  slots: Partial<Record<'edition' | 'format' | 'language', Record<string, string[]>>>;
  placeAliases?: Record<string, string[]>;
  /** The intent that answers thanks, acknowledgements and greetings (shared/conversation/courtesy.ts). */
  courtesyIntent?: string;
  /** Words that say what a message about a product asks, for an unsure classifier (shared/conversation/intent-cues.ts). */
  intentCues?: IntentCueRule[];
  /** The domain's words for its things (follow-up-cues.ts): "that book" points back (`demonstrative`), "a book … is it" points inside (`antecedent`). */
  itemNouns?: { demonstrative?: string[]; antecedent?: string[] };
  /** Words after which a catalog title no longer names its series (shared/cache/store-gazetteer.ts). */
  seriesEndWords?: string[];
  /** The catalog titles' everyday English words: a name of one of them is the title only when said as a name (shared/cache/title-names.ts). */
  everydayWords?: string[];
  /** Ids the assistant asks for, given as a reply (shared/conversation/id-reply.ts). */
  idReplies?: IdReplyRule[];
}

/**
 * conversation.json `idReplies`: after a turn of `after`'s intents without a `kind` entity, a short
 * reply holding `match` is that id; an `email` rule: after a turn of `after`'s intents that named
 * an `of` entity (the answer asked for the email the order was placed with), a short reply holding
 * an email address re-asks that turn's question (shared/conversation/id-reply.ts).
 */
export type IdReplyRule =
  | { kind: DialogueKind; after: string[]; match: string; value: string; maxWords?: number }
  | { kind: 'email'; of: DialogueKind; after: string[]; maxWords?: number };

/** The domain's item nouns as the follow-up cues read them (conversation.json `itemNouns`). */
export interface ItemNouns {
  demonstrative: ReadonlySet<string>;
  antecedent: ReadonlySet<string>;
  /** What shoppers ask of a product (the cues of conversation.json's `intentCues` rules about one: "author", "age rating"): a short message of these and question words asks it of the product in talk ("author pls"). */
  asks?: readonly string[][];
}

/** Kinds that describe a product and belong to the series they were said of. */
export const PRODUCT_SLOTS: DialogueKind[] = ['volume', 'edition', 'format', 'language'];

interface Phrase {
  words: string[];
  kind: DialogueKind;
  value: string;
  /** A series name of one everyday word ("smile", "tomorrow"): the title only when said as a name. */
  everyday?: boolean;
}

export class DialogueEntities {
  private readonly byFirst = new Map<string, Phrase[]>();
  /** The catalog titles' everyday English words (conversation.json `everydayWords`). */
  private readonly everyday: ReadonlySet<string>;
  /** What a phrase that is also an everyday series name means otherwise ("march": the month), by its words. */
  private readonly ordinary = new Map<string, Phrase>();
  /** One-word slot phrases of 7+ letters ("paperback", "japanese") by their first letter, for a slot typed with a slip (misspelledSlot). */
  private readonly slotsByInitial = new Map<string, Phrase[]>();
  /** The catalog's series names by their first letter (a slip keeps it), longest first, for names typed with a slip (misspelledSeries). */
  private readonly seriesByInitial = new Map<string, Phrase[]>();
  private readonly patterns: { kind: DialogueKind; re: RegExp; value: string }[];
  /** Per kind, the shapes of the canonical values the domain's id patterns make ("kb-sku-{1:4}" → /^kb-sku-.+$/). */
  private readonly idValues: { kind: DialogueKind; re: RegExp }[];
  /** The domain's intent for thanks, acknowledgements and greetings, if it names one. */
  readonly courtesyIntent?: string;
  /** What the catalog's titles cost ("the cheaper one" of a list); empty without a catalog. */
  readonly prices: TitlePrices;
  /** The domain's intent cues (none when it gives none). */
  readonly intentCues: IntentCues;
  /** The domain's item nouns by role, lower case (none when it gives none). */
  readonly itemNouns: ItemNouns;
  /** The ids the domain's assistant asks for, as replies may give them (conversation.json `idReplies`). */
  readonly idReplies: readonly IdReplyRule[];
  /** Formats no catalog copy of which has a volume ("box set"): a volume said after one, or one said after a volume, replaces the other. */
  private readonly volumeless: ReadonlySet<string>;
  /** The last message analyzed, and its analysis (analyze). */
  private lastText: string | undefined;
  private lastAnalysis: MessageAnalysis | undefined;

  /**
   * `store`: the store gazetteer (catalog series as `product`, domain terms as `term`, the domain's own `place` names beside the built-in ones);
   * `patterns`: the domain's ids by shape (entities.json `patterns`; the engine knows none).
   */
  constructor(store: Gazetteer, dialogue: DialogueSlots, patterns: readonly EntityPattern[] = [], catalog: readonly PricedTitle[] = []) {
    this.courtesyIntent = dialogue.courtesyIntent;
    this.prices = new TitlePrices(catalog, dialogue.seriesEndWords);
    const numbered = new Set(catalog.filter((t) => typeof t.volume === 'number').map((t) => normalizeForEntities(t.format ?? '')));
    this.volumeless = new Set(catalog.map((t) => normalizeForEntities(t.format ?? '')).filter((f) => f && !numbered.has(f)));
    this.intentCues = new IntentCues(dialogue.intentCues);
    this.idReplies = dialogue.idReplies ?? [];
    const nouns = (role: 'demonstrative' | 'antecedent') => new Set((dialogue.itemNouns?.[role] ?? []).map((n) => normalizeForEntities(n)));
    const asks = (dialogue.intentCues ?? []).filter((r) => r.with.includes('product') && !r.atLeast).flatMap((r) => r.cues.map(tokens));
    this.itemNouns = { demonstrative: nouns('demonstrative'), antecedent: nouns('antecedent'), asks };
    this.patterns = patterns.map((p) => ({ kind: p.kind, re: new RegExp(p.match, 'gi'), value: p.value }));
    this.idValues = patterns.map((p) => ({ kind: p.kind, re: idValueShape(p.value) }));
    const table = new Map<string, Phrase>();
    const everyday = (this.everyday = new Set(dialogue.everydayWords ?? []));
    const add = (kind: DialogueKind, value: string, phrase: string) => {
      const words = tokens(phrase);
      if (!words.length) return;
      const key = words.join(' ');
      const shadowed = table.get(key);
      if (kind === 'product' && shadowed && shadowed.kind !== 'product') this.ordinary.set(key, shadowed);
      table.set(key, { words, kind, value: normalizeForEntities(value), ...(kind === 'product' && isEverydayName(words, everyday) ? { everyday: true } : {}) });
      // A title's possessive is typed without its apostrophe as often as with it ("hitchhikers guide", "enders game").
      const joined = words.flatMap((x, i) => (x === 's' && i > 0 ? [] : [words[i + 1] === 's' ? `${x}s` : x]));
      if (kind === 'product' && joined.length < words.length && !table.has(joined.join(' '))) table.set(joined.join(' '), { words: joined, kind, value: normalizeForEntities(value) });
    };
    const base = baseGazetteer();
    for (const [kind, values] of [['place', base.place], ['place', store.place], ['date', base.date], ['product', store.product], ['term', store.term]] as const) {
      for (const [value, phrases] of Object.entries(values ?? {})) for (const p of [value, ...phrases]) add(kind, value, p);
    }
    for (const [kind, values] of Object.entries(dialogue.slots) as [DialogueKind, Record<string, string[]>][]) {
      for (const [value, phrases] of Object.entries(values)) for (const p of [value, ...phrases]) add(kind, value, p);
    }
    for (const [value, phrases] of Object.entries(dialogue.placeAliases ?? {})) for (const p of [value, ...phrases]) add('place', value, p);
    for (const ph of table.values()) {
      const list = this.byFirst.get(ph.words[0]) ?? [];
      list.push(ph);
      this.byFirst.set(ph.words[0], list);
    }
    for (const list of this.byFirst.values()) list.sort((a, b) => b.words.length - a.words.length);
    for (const ph of table.values()) {
      if (!PRODUCT_SLOTS.includes(ph.kind) || ph.words.length !== 1 || ph.words[0].length < 7) continue;
      this.slotsByInitial.set(ph.words[0][0], [...(this.slotsByInitial.get(ph.words[0][0]) ?? []), ph]);
    }
    for (const ph of [...table.values()].filter((x) => x.kind === 'product' && !/^\d+$/.test(x.words.join(''))).sort((a, b) => b.words.length - a.words.length)) {
      const list = this.seriesByInitial.get(ph.words[0][0]) ?? [];
      list.push(ph);
      this.seriesByInitial.set(ph.words[0][0], list);
    }
  }

  /** Whether two slots cannot describe one copy: a volume and a format no volume comes in ("naruto box set" then "vol 2"). */
  excludes(x: DialogueEntity, y: DialogueEntity): boolean {
    const format = x.kind === 'format' ? x : y.kind === 'format' ? y : undefined;
    const volume = x.kind === 'volume' ? x : y.kind === 'volume' ? y : undefined;
    return !!format && !!volume && this.volumeless.has(format.value);
  }

  /** Whether an entity is one of the domain's ids (an order number, a SKU): its value has the shape an id pattern makes. Ids are written upper case. */
  isId(e: DialogueEntity): boolean {
    return e.kind === 'order' || this.idValues.some((p) => p.kind === e.kind && p.re.test(e.value));
  }

  /** The intent the domain's cues give a message about the given entities (its own and carried), if exactly one. */
  cueIntent(text: string, entities: readonly DialogueEntity[]): string | undefined {
    const a = this.analyze(text);
    return this.intentCues.intentOf(a, [...a.entities, ...entities]);
  }

  /** The intent a `decisive` cue rule gives the message, whatever the classifier read (a price comparison of titles), if exactly one. */
  decisiveIntent(text: string, entities: readonly DialogueEntity[]): string | undefined {
    const a = this.analyze(text);
    return this.intentCues.intentOf(a, [...a.entities, ...entities], true);
  }

  /**
   * A place, slot or term phrase whose last word is written in the plural ("PO boxes", "hardbacks"
   * when only "hardback" is listed); products are titles and are matched as written (or misspelt),
   * dates are the built-in calendar words, and a phrase with a count is not pluralised ("2 days" is
   * a duration, not the "2 day" service).
   */
  private inflected(words: readonly string[], i: number): Phrase | undefined {
    return this.byFirst.get(words[i])?.find((c) => inflectable(c) && !c.words.some(isCount) && i + c.words.length <= words.length && c.words.every((x, j) => words[i + j] === x || (j === c.words.length - 1 && singular(words[i + j]) === x)))
      ?? (singular(words[i]) !== words[i] ? this.byFirst.get(singular(words[i]))?.find((c) => inflectable(c) && c.words.length === 1) : undefined);
  }

  /**
   * A catalog series written with one slip of the keyboard (shoppers type titles from memory:
   * "jujutsu kaisan", "frieran", "the hobit"): a name of several words with one word one edit
   * away (a letter wrong, missing, extra or two swapped; words of 4+ letters) and another word as
   * written; a one-word name of 7+ letters with one letter wrong or two swapped (no letter added
   * or dropped: "monsters" is not "Monster"), or of 6 letters with two swapped ("hiakyu"), or of 5+ with a letter typed twice ("haikyuu"). Only series (the catalog's own names), never places
   * or terms, whose short words are too close to ordinary ones. A slipped word keeps its first
   * letter (which also keeps this pass cheap: it runs on every word no phrase matched).
   */
  private misspelledSeries(words: readonly string[], i: number): Phrase | undefined {
    for (const c of this.seriesByInitial.get(words[i][0]) ?? []) {
      if (i + c.words.length > words.length) continue;
      if (c.words.length === 1) {
        const [x] = c.words;
        if (x.length >= 7 && words[i].length === x.length && words[i][0] === x[0] && words[i] !== x && withinOneEdit(words[i], x)) return c;
        // six letters: only two neighbours swapped ("hiakyu"), a slip no ordinary word is one away by
        if (x.length === 6 && words[i].length === 6 && words[i][0] === x[0] && swapped(words[i], x)) return c;
        // five letters or more: one letter typed twice ("haikyuu", "narutoo"), which no plural or ordinary form of the name is
        if (x.length >= 5 && words[i][0] === x[0] && doubled(words[i], x)) return c;
        continue;
      }
      let exact = 0;
      let slips = 0;
      // A slip into a word of everyday English ("the last with") names no title of everyday words (The Last Wish).
      let ordinary = false;
      for (let j = 0; j < c.words.length && slips <= 1; j++) {
        const x = c.words[j];
        const y = words[i + j];
        if (x === y) exact++;
        else if (x.length >= 4 && y.length >= 3 && x[0] === y[0] && withinOneEdit(x, y)) {
          slips++;
          ordinary = this.everyday.has(x) && isFunctionWord(y);
        } else slips = 2;
      }
      const distinctive = c.words.some((x) => !this.everyday.has(x) && !isFunctionWord(x));
      if (slips === 1 && exact >= 1 && !(ordinary && !distinctive)) return c;
    }
    return undefined;
  }

  /** Whether words [start, end) are said as a title's name (title-names.ts): a cue word, a number, or the domain's item noun, edition or format after it. */
  private saidAsName(words: readonly string[], cased: readonly string[], start: number, end: number): boolean {
    const slot = (c: Phrase | undefined) => c?.kind === 'edition' || c?.kind === 'format' || c?.kind === 'language';
    const slotAfter = (i: number) => i < words.length && (this.itemNouns.demonstrative.has(words[i]) || !!this.byFirst.get(words[i])?.some((c) => slot(c) && c.words.every((x, j) => words[i + j] === x)) || slot(this.inflected(words, i)));
    return saidAsName(words, start, end, { cased, nameAfter: slotAfter });
  }

  /**
   * A format, language or edition word of 7+ letters typed with one slip ("paperbak", "hardcovr",
   * "japanse"): a letter wrong, missing, extra or two swapped, the first letter kept. Long slot words
   * have no ordinary word one edit away; short ones ("signed") and phrases are matched as written.
   */
  private misspelledSlot(w: string): Phrase | undefined {
    if (w.length < 6) return undefined;
    // not a form of the word ("translate" is no slip of "translated")
    return this.slotsByInitial.get(w[0])?.find((c) => c.words[0] !== w && !c.words[0].startsWith(w) && !w.startsWith(c.words[0]) && withinOneEdit(w, c.words[0]));
  }

  /**
   * The words, entity spans and entities of a message. One answer reads its message three to five
   * times (whether it leans on context, its resolution alone and in context, its cue intent), so
   * the last text's analysis is kept and given again: an analysis is shared and never changed by
   * its readers (follow-up.ts makes a new one where it reads a number as a volume).
   */
  analyze(text: string): MessageAnalysis {
    if (text === this.lastText && this.lastAnalysis) return this.lastAnalysis;
    const a = this.read(text);
    this.lastText = text;
    this.lastAnalysis = a;
    return a;
  }

  private read(text: string): MessageAnalysis {
    const dates: DialogueEntity[] = [];
    // An email address is never an entity (entities are stored with the turn and carried): its
    // words are not read at all ("kb12345@example.com" names no order).
    let raw = withoutEmails(text.slice(0, 4000))
      .replace(/\b(\d{4})-(\d{2})-(\d{2})\b|\b(\d{1,2})\/(\d{1,2})(?:\/(\d{2,4}))?\b/g, (m) => (dates.push({ kind: 'date', value: m }), ' '));
    // The domain's ids, pattern by pattern: each match becomes one word (its canonical value
    // without punctuation, "KB-SKU-12" → kbsku0012) that the word loop reads as the id, keeping a
    // leading cue word of the match ("order # 12345" → "order kb12345").
    const ids = new Map<string, DialogueEntity>();
    for (const p of this.patterns) raw = markIds(raw, p, ids);
    const words = tokens(raw);
    const cased = casedTokens(raw);
    const spans: Span[] = [];
    const span = (kind: DialogueKind, value: string, start: number, end: number) => spans.push({ kind, value, start, end });
    for (let i = 0; i < words.length; i++) {
      const w = words[i];
      const id = ids.get(w);
      if (id) {
        span(id.kind, id.value, i, i + 1);
        continue;
      }
      const n = VOLUME_WORDS.has(w) ? (cardinal(words[i + 1]) ?? ordinal(words[i + 1])) : null;
      if (n !== null && !(w === 'no' && i === 0)) {
        span('volume', String(n), i, i + 2);
        i++;
        continue;
      }
      const ord = ordinal(w);
      const afterDate = spans.at(-1)?.kind === 'date' && spans.at(-1)!.end === i;
      if (ord !== null && !afterDate && (ORDINAL_HEADS.has(words[i + 1]) || i === words.length - 1)) {
        const end = ORDINAL_HEADS.has(words[i + 1]) ? i + 2 : i + 1;
        span('volume', String(ord), i, end);
        i = end - 1;
        continue;
      }
      if (RELATIVE_VOLUME[w] && ORDINAL_HEADS.has(words[i + 1])) {
        span('volume', RELATIVE_VOLUME[w], i, i + 2);
        i++;
        continue;
      }
      const exact = this.byFirst.get(w)?.find((c) => c.words.every((x, j) => words[i + j] === x)) ?? this.inflected(words, i);
      const found = exact ?? this.misspelledSeries(words, i) ?? this.misspelledSlot(w);
      // A series named by one everyday word counts only when said as a name ("smile by raina telgemeier", not "made me smile"); as typed, it may mean something else ("march").
      const hit = found?.everyday && !this.saidAsName(words, cased, i, i + found.words.length) ? (found === exact ? this.ordinary.get(found.words.join(' ')) : undefined) : found;
      if (hit) {
        span(hit.kind, hit.value, i, i + hit.words.length);
        if (!exact) spans.at(-1)!.slip = true;
        i += hit.words.length - 1;
        continue;
      }
      if (/^\d+(?:[.,]\d+)*$/.test(w)) {
        // "one punch man 2", and after the series' edition or format: "berserk deluxe edition 3", "monster perfect edition 2"
        let k = spans.length - 1;
        while (k > 0 && (spans[k].kind === 'edition' || spans[k].kind === 'format') && spans[k - 1].end === spans[k].start) k--;
        // …but a count is no volume: "the hunger games 4-book box set", "naruto 3 volumes"
        const afterSeries = spans[k]?.kind === 'product' && spans.at(-1)!.end === i && /^\d{1,3}$/.test(w) && !counts(w, words[i + 1]);
        // "blue lock 1 and 2", "witch hat atelier 1 & 2": a number joined to a volume is another volume
        const last = spans.at(-1);
        const joined = last?.kind === 'volume' && /^\d{1,3}$/.test(w) && (last.end === i || (last.end === i - 1 && VOLUME_JOINS.has(words[i - 1])));
        span(afterSeries || joined ? 'volume' : 'number', String(Number(w.replace(/,/g, ''))), i, i + 1);
      }
    }
    titleNumbers(words, spans);
    const seen = new Map<string, DialogueEntity>();
    for (const e of [...spans, ...dates]) seen.set(`${e.kind}:${e.value}`, { kind: e.kind, value: e.value });
    return { words, spans, entities: sortEntities([...seen.values()]) };
  }
}

/**
 * A bare number right after a series is its volume ("one punch man 2"), unless the same mention
 * also says its volume with a volume word: then the number is part of the title ("mob psycho 100
 * volume 1", "kaiju no 8 vol 1") and is read as a number (the spans are changed in place).
 */
function titleNumbers(words: readonly string[], spans: Span[]): void {
  const worded = spans.filter((s) => s.kind === 'volume' && s.end - s.start === 2 && VOLUME_WORDS.has(words[s.start]));
  if (!worded.length) return;
  for (const [k, s] of spans.entries()) {
    const prev = spans[k - 1];
    const bare = s.kind === 'volume' && s.end - s.start === 1 && /^\d+$/.test(words[s.start]) && prev?.kind === 'product' && prev.end === s.start;
    if (bare && worded.some((v) => v.start >= s.end && v.start <= s.end + 1 && v.value !== s.value)) s.kind = 'number';
  }
}

/**
 * `text` with every match of one id pattern replaced by one word, its canonical value without
 * punctuation (recorded in `ids`), after the match's leading cue word when it has one.
 */
function markIds(text: string, p: { kind: DialogueKind; re: RegExp; value: string }, ids: Map<string, DialogueEntity>): string {
  let out = '';
  let at = 0;
  for (const m of text.matchAll(p.re)) {
    const value = normalizeForEntities(fillTemplate(p.value, m));
    const word = value.replace(/[^\p{L}\p{N}]+/gu, '');
    if (!word) continue;
    ids.set(word, { kind: p.kind, value });
    const cue = /^\p{L}+(?=\s)/u.exec(m[0]);
    out += `${text.slice(at, m.index)}${cue ? cue[0] : ''} ${word} `;
    at = m.index + m[0].length;
  }
  return out + text.slice(at);
}

export function sortEntities<T extends DialogueEntity>(es: T[]): T[] {
  return es.sort((a, b) => (a.kind + ':' + a.value < b.kind + ':' + b.value ? -1 : a.kind + ':' + a.value > b.kind + ':' + b.value ? 1 : 0));
}

/** The cache's entity key of a set of entities: "kind:value|…", sorted ("" when none). */
export function dialogueSignature(entities: DialogueEntity[]): string {
  return sortEntities([...entities])
    .map((e) => `${e.kind}:${e.value}`)
    .join('|');
}

/** Words of a text as the entity matcher sees them (lower case, accents and punctuation gone). */
export function tokens(text: string): string[] {
  return normalizeForEntities(text)
    .replace(/[$.\-]+/g, ' ')
    .split(' ')
    .filter(Boolean);
}

/** The same words as written (their case kept), for where a capital tells something. */
function casedTokens(text: string): string[] {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .split(' ')
    .filter(Boolean);
}

/** The canonical values an id pattern's template makes, as a regular expression: literal parts as written (normalized), each `{n}` / `{n:w}` one or more characters. */
function idValueShape(template: string): RegExp {
  const parts = template.split(/\{\d+(?::\d+)?\}/).map((lit) => normalizeForEntities(lit).replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
  return new RegExp(`^${parts.join('.+')}$`);
}

/** Whether a number counts the word after it ("4-book box set", "3 volumes"), and so is no volume ("jujutsu kaisen 0 book" is volume 0). */
const counts = (n: string, next: string | undefined) => next === 'books' || next === 'volumes' || next === 'vols' || (next === 'book' && Number(n) >= 2);

/** Words that join two volumes of one series ("1 and 2", "3 or 4"). */
const VOLUME_JOINS: ReadonlySet<string> = new Set(['and', 'or', 'n', 'plus']);

/** A phrase read in the plural too: places, slots and terms (titles are matched as written, dates are the calendar's). */
const inflectable = (c: Phrase) => c.kind !== 'product' && c.kind !== 'date';

/** A number, in digits or words: "2 day" is a phrase of its own, "2 days" is not its plural. */
const isCount = (w: string) => /^\d+$/.test(w) || cardinal(w) !== null;

/** "boxes" → "box", "hardbacks" → "hardback"; words under 4 letters and other words as they are. */
function singular(w: string): string {
  if (w.length < 4 || !w.endsWith('s') || w.endsWith('ss')) return w;
  return /(?:x|ch|sh|ss)es$/.test(w) ? w.slice(0, -2) : w.slice(0, -1);
}

/** Whether `a` is `b` with one of its letters typed twice. */
function doubled(a: string, b: string): boolean {
  if (a.length !== b.length + 1) return false;
  const i = [...b].findIndex((c, k) => c !== a[k]);
  const at = i < 0 ? b.length : i;
  return at > 0 && a[at] === a[at - 1] && a.slice(0, at) + a.slice(at + 1) === b;
}

/** Whether `a` is `b` with two neighbouring letters swapped. */
function swapped(a: string, b: string): boolean {
  const i = [...a].findIndex((c, k) => c !== b[k]);
  return i >= 0 && i < a.length - 1 && a[i] === b[i + 1] && a[i + 1] === b[i] && a.slice(i + 2) === b.slice(i + 2);
}
