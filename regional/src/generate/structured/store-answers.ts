/**
 * The offline generator's decisions, in order: an out-of-scope message is declined and a request
 * for a person is handed off (the domain's own template texts); a catalog title the question
 * names is answered from its fields; shipping to a place from the policy tables; anything else is
 * quoted from the best retrieved passage. A title or policy row is looked up in the store's own
 * data (a lookup is retrieval by exact match: the record is returned as a passage, cited and
 * checked like the others). When neither a lookup nor the passages hold the answer, it says it
 * could not find that and hands off — never a summary of unrelated passages. A follow-up
 * ("and volume 2?", "what about Canada?") borrows the title, place and asked fields of the
 * earlier user turns, or uses the resolved text and destinations the edge sends.
 */
import { EntityExtractor } from '../../../../shared/cache/entities.ts';
import { catalogDocument } from '../../retrieval/store-kb.ts';
import type { CatalogField, StoreAnswerData } from './answer-data.ts';
import { askedFields, catalogAnswer, fillSentence } from './catalog-answer.ts';
import { destinationAnswer } from './destination-answer.ts';
import { Recommender, type Recommendation } from './recommend.ts';
import { listPositionIn, type ListPosition } from '../../../../shared/conversation/list-ordinal.ts';
import { PRICE_PICKS } from '../../../../shared/conversation/english-cues.ts';
import { seriesName } from '../../../../shared/cache/store-gazetteer.ts';
import { splitSentences } from '../guardrails.ts';
import { SentencePicker, type Passage } from './passage-sentences.ts';
import { plainText } from './policy-tables.ts';
import { contentTokens, hasPhrase, normalize, spokenList, tokens } from './text.ts';
import type { CatalogItem } from '../../../../shared/domain/store-kb.ts';

export interface AnswerInput {
  question: string;
  /** Earlier user messages of the conversation, oldest first. */
  history?: string[];
  intent?: string;
  confidence?: number;
  passages: Passage[];
  /**
   * The destinations the edge resolved for this message (its `place` entities, a follow-up's
   * carried place included, aliases already read: "holland" → netherlands). When given they are
   * the places asked about: the question's own words are not re-read, so a place carried in the
   * resolved text's frame ("…shipping to hong kong") or a partial name ("korea" in "north korea")
   * never stands in for the one the shopper named.
   */
  places?: string[];
  /** The assistant's earlier answers, oldest first: the titles one listed are what "the second one" picks from. */
  previousAnswers?: string[];
  /** The message as the shopper typed it, when `question` is its resolution: an amount it says ("how about under 10 bucks") is read in its own order. */
  message?: string;
}

export type AnswerKind = 'catalog' | 'destination' | 'quote' | 'decline' | 'handoff' | 'not-found';

export interface StoreAnswer {
  kind: AnswerKind;
  sentences: string[];
  /** What the answer cites (titles, policy sections, FAQ questions). */
  sources: string[];
  /** Records looked up in the store's data (not among the retrieved passages): id, title, text. */
  lookedUp?: Passage[];
}

/** The best match must score this much (the offline generator's bar for naming a title)… */
export const MIN_TITLE_SCORE = 3;

/** A volume's series as its title writes it, without the volume ("Chainsaw Man, Vol. 4…" → "Chainsaw Man"). */
const volumeSeries = (title: string) => title.replace(/,?\s*(?:vol\.?|volume|book|part)\s*\d+\b.*$/i, '').trim() || title;
/** …and, where one item must be named unambiguously (the catalog route, each part of a list), beat the runner-up by this much: volumes of one series without a volume named differ by less than 1. */
export const UNAMBIGUOUS_MARGIN = 1;
const MIN_COVERAGE = 0.45;
/** A part of a message that asks several things needs this many content words to be a question of its own. */
const MIN_PART_WORDS = 2;
/** A series question's answer shows this many of its titles with price and availability, and names the others… */
const SERIES_SHOWN = 3;
/** A lookup outside the retrieved passages must match more closely. */
const LOOKUP_COVERAGE = 0.6;
/** A record's answer takes the store's rule for the rest of the question (withRule) when that many words of it are not the record's, and the rule holds that many of them… */
const RULE_MIN_WORDS = 2;
/** …and one policy or FAQ sentence holds this share of them; the record's own policy section counts a little more. */
const RULE_COVERAGE = 0.5;
const RULE_HOME_BONUS = 0.1;
/** The share of the whole question (less the record's name) the rule must hold: the same topic, not a shared stray word. */
const RULE_TOPIC = 0.4;
const RULE_TOPIC_ELSEWHERE = 0.6;
/** A rule's whole policy item comes when it is this short; a longer one gives only its best sentences. */
const RULE_ITEM_SENTENCES = 3;
/** How a question asks for an amount or a time ("how long", "what does it cost"): what a record's row answers, not a rule. */
const ASKING_WORDS = 'long soon fast quick quickly time times cost costs price much many take takes';
/** Words that say nothing of what is asked, beside the function words text.ts drops. */
const FILLER = 'but up when them those these come say something anything anywhere somebody someone think old';
/** Below this confidence the classifier's intent is a guess. */
const UNSURE = 0.6;
const SURE = 0.8;
/** A message the data cannot answer and the classifier placed below this is treated as out of scope. */
const PLACED = 0.75;
/** Words any question about a thing may hold (the domain's own, answers.json `titleQuestionWords`, are added). */
const GENERIC_WORDS = 'tell know want looking need like get about please thanks hi hello one curious interested wondering info information details';

const round2 = (n: number) => Math.round(n * 100) / 100;
const COUNT_WORDS = ['two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten'];

/** How many copies a question asks the price of ("if i buy three", "3 copies", "two of them"); null for one or none. */
export function copiesAsked(question: string): number | null {
  const q = normalize(question);
  const n = (w: string) => (/^\d{1,2}$/.test(w) ? Number(w) : COUNT_WORDS.indexOf(w) + 2 || null);
  const m = /\b(?:buy|get|order|take|want|need)\s+(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\b(?!\s+(?:days?|weeks?|dollars?|volumes?|books?\s+of))/.exec(q) ?? /\b(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+(?:copies|of them|of those|of it|of this|of that)\b/.exec(q);
  const count = m ? n(m[1]) : null;
  return count && count >= 2 ? count : null;
}

/** How many earlier answers a list position may reach back to. */
const LIST_LOOKBACK = 4;
/** A list position the question says ("the second one", "the cheaper option"), read as the edge reads it (list-ordinal.ts), its head word required. */
const listPositionOf = (question: string): ListPosition | null => listPositionIn(normalize(question).split(' '), { headed: true });

/** "which one is cheaper", "which is the most expensive": a pick by price of the list in talk, said with "which" and no position. */
function whichByPrice(question: string): { n: number; start: number; end: number; price: 'low' | 'high'; which: true } | null {
  const w = normalize(question).split(' ');
  if (!w.includes('which')) return null;
  const byPrice = PRICE_PICKS.find((p) => w.some((_, i) => p.words.every((x, j) => w[i + j] === x)));
  return byPrice ? { n: 0, start: 0, end: 0, price: byPrice.end, which: true } : null;
}

export class StoreAnswers {
  private readonly places: EntityExtractor;
  private readonly picker: SentencePicker;
  /** A word's weight in the store's texts (rarer weighs more). */
  private readonly weightOf: (stem: string) => number;
  /** Catalog field cues, the shipping cues and ASKING_WORDS: words a record's answer already answers. */
  private readonly askingWords: Set<string>;
  private readonly cueWords: Set<string>;
  /** The words of the catalog's formats and languages ("ebook", "box", "set", "japanese"). */
  private readonly slotWords: Set<string>;
  /** Words any question about a title may hold: GENERIC_WORDS and the domain's titleQuestionWords. */
  private readonly generic: Set<string>;
  /** Intents that own policy sections or FAQ entries. */
  private readonly answeredIntents: Set<string>;
  private readonly recommender: Recommender;

  constructor(readonly data: StoreAnswerData) {
    this.places = new EntityExtractor({ place: data.places }, data.entityPatterns);
    this.generic = new Set(contentTokens([GENERIC_WORDS, ...data.config.titleQuestionWords].join(' ')));
    // Word weights: rarer across the store's texts weighs more.
    const docs = [...data.policies.flatMap((b) => b.items), ...data.faq.map((f) => f.answer), ...data.catalog.map((c) => `${c.title} ${c.description}`)];
    const df = new Map<string, number>();
    for (const d of docs) for (const w of new Set(contentTokens(d))) df.set(w, (df.get(w) ?? 0) + 1);
    const n = docs.length;
    const weights = new Map<string, number>();
    // A word the texts never use weighs as a rare one, not the rarest: it is as often a paraphrase as the point.
    this.weightOf = (w) => weights.get(w) ?? (weights.set(w, Math.log(1 + n / Math.max(3, 1 + (df.get(w) ?? 0)))), weights.get(w)!);
    this.picker = new SentencePicker(this.weightOf);
    this.answeredIntents = new Set(data.intentOf.values());
    this.recommender = new Recommender(data);
    this.cueWords = new Set(contentTokens(Object.values(data.config.fieldCues).flat().join(' ')));
    this.askingWords = new Set(contentTokens([ASKING_WORDS, FILLER, ...data.config.shippingCues].join(' ')));
    this.slotWords = new Set(data.catalog.flatMap((c) => [...tokens(c.format), ...tokens(c.language)]));
  }

  answer(input: AnswerInput): StoreAnswer {
    const { data } = this;
    const question = input.question;
    const history = input.history ?? [];
    // Out of scope: declined, unless the classifier was unsure and the store's data answers it.
    // Titles looked for by price and kind ("what's the cheapest manga you have") are the catalog's
    // business, whatever the classifier made of them.
    const rec = data.config.recommendation;
    const byPrice = !!rec && this.recommender.searchesByPrice(question);
    // "anything cheaper?", "under 10 bucks?" after picks: the wishes of the message that asked for
    // them, under the cheapest of those picks (or under the amount said), cheapest first.
    const again = rec ? this.pricedAgain(question, input.message ?? question, history, input.previousAnswers ?? []) : null;
    if (again) return again;
    const unsureOos = input.intent === 'oos' && (input.confidence ?? 1) < UNSURE;
    if (input.intent === 'oos' && !unsureOos && !byPrice && !this.asksRecord(question, history.at(-1))) return this.decline();
    const q = normalize(question);
    const handoffIntent = data.config.handoffIntent;
    if ((handoffIntent && input.intent === handoffIntent) || data.config.handoffCues.some((c) => hasPhrase(q, c))) return this.handoff([(handoffIntent && data.templateText[handoffIntent]) || data.config.handoff]);
    const inPassages = new Set(input.passages.map((p) => p.id));
    const sureIntent = (input.confidence ?? 0) >= 0.5 ? input.intent : undefined;

    // "is the second one in stock?" after an answer that listed titles: that title's row.
    const picked = this.pickFromAnswer(question, input.previousAnswers ?? []);
    if (picked) {
      const record = catalogDocument(picked, data.catalogText);
      return { kind: 'catalog', sentences: catalogAnswer(picked, question, askedFields(question, data.config.fieldCues), data.config.catalogSentences, data.catalogText), sources: [picked.title], lookedUp: [{ id: picked.id, title: picked.title, text: record.text }] };
    }

    // "what's that come to altogether?" after an answer that listed titles: their sum.
    const together = this.totalOfAnswer(question, input.previousAnswers ?? []);
    if (together) return together;

    // "anything else by him?": the other titles by the author of the title in talk.
    const byAuthor = this.byAuthor(question, history, input.previousAnswers ?? []) ?? this.authorTitles(question);
    if (byAuthor) return byAuthor;

    // A recommendation ("something like Frieren", "a good horror novel"): titles from the catalog —
    // unless it asks prices or names several titles ("dune and dune messiah, what are the prices").
    const wish = rec ? this.recommender.priceWish(question) : null;
    // A price wish of a title in talk ("which is the cheapest" after "do you have the witcher books") asks among its copies, not for others.
    const ofTitle = !!wish && (data.index.match(question, 1)[0]?.score ?? 0) >= MIN_TITLE_SCORE;
    // (A classifier unsure of a suggestion where a title's field is asked — "what books come in the mistborn boxed set" — asks the record.)
    if (rec && (input.intent === rec.intent || byPrice) && !ofTitle && !((input.confidence ?? 1) < UNSURE && this.asksRecord(question)) && (!!wish || !askedFields(question, data.config.fieldCues).includes('price')) && this.listedItems(question).length < 2) {
      const named = data.index.match(question, 1)[0];
      const r = this.recommender.recommend(question, named && named.score >= MIN_TITLE_SCORE ? named.item : null);
      // Nothing to go by, only words asking for a suggestion ("what should I read next?", the
      // pack's `recommendation.askWords`): what they like is asked. Anything else ("a good sushi
      // place in portland") is left to what follows.
      const asking = new Set(contentTokens(rec.askWords.join(' ')));
      if (!r && contentTokens(question).every((w) => asking.has(w) || this.generic.has(w))) return { kind: 'catalog', sentences: [rec.sentences.ask], sources: [] };
      if (r?.items.length) return this.recommendation(r);
      if (r?.price?.max !== undefined && rec.sentences.noneBelow) return { kind: 'catalog', sentences: [fillSentence(rec.sentences.noneBelow, { max: data.catalogText.price(r.price.max) })], sources: [] };
    }

    // A title: this message's, else the conversation's with this message's volume.
    const previous = history.at(-1);
    let fields = askedFields(question, data.config.fieldCues);
    let match = data.index.match(question, 1)[0];
    const ownTitle = !!match && match.score >= MIN_TITLE_SCORE;
    if (fields.length > 0 || data.config.catalogIntents.includes(input.intent ?? '')) {
      const missing = this.missingVolume(question, ownTitle ? match.item : undefined);
      if (missing) return missing;
    }
    if ((!match || match.score < MIN_TITLE_SCORE) && previous) {
      match = data.index.match(`${previous} ${question}`, 1, data.index.volumeOf(question) ?? data.index.volumeOf(previous))[0];
      if (!fields.length) fields = askedFields(previous, data.config.fieldCues);
    }
    // Asked nothing a title's record holds ("which studio animated it?"): not a catalog answer.
    const unexplained = match ? this.unexplainedWords(question, match.item) : [];
    const titled = !!match && match.score >= MIN_TITLE_SCORE && (fields.length > 0 || (data.config.catalogIntents.includes(input.intent ?? '') && unexplained.length < 2));

    // A place: this message's, else (for a follow-up about shipping) the conversation's.
    const cued = (text: string) => data.config.shippingCues.some((c) => hasPhrase(normalize(text), c));
    // "what about Canada?" after a shipping question is a shipping question too.
    const shippingCue = cued(question) || hasPhrase(q, 'there') || (!!previous && !titled && contentTokens(question).length <= 3 && cued(previous));
    let places = input.places?.length ? input.places : this.placesIn(question);
    const shippingIntent = data.config.shippingIntent !== undefined && input.intent === data.config.shippingIntent;
    if (!places.length && previous && (shippingCue || shippingIntent)) places = this.placesIn(previous);
    const aboutShipping = places.length > 0 && (shippingIntent || (shippingCue && !titled));

    if (aboutShipping) {
      const d = destinationAnswer(data, question, places);
      if (d) {
        const found: StoreAnswer = { kind: 'destination', sentences: d.sentences, sources: [d.source], lookedUp: [{ id: d.documentId, title: d.source, text: d.needles.join('\n') }] };
        return this.withRule(found, question, places.flatMap((p) => contentTokens(p)), d.documentId, sureIntent);
      }
    } else if (titled) {
      // "are dune and project hail mary available as ebooks": each listed title's row, in order
      const listed = this.listedItems(question);
      if (listed.length > 1) {
        const sentences = listed.flatMap((it) => catalogAnswer(it, question, fields, data.config.catalogSentences, data.catalogText));
        const total = this.totalIfAsked(question, listed);
        if (total) sentences.push(total);
        return { kind: 'catalog', sentences, sources: listed.map((it) => it.title), lookedUp: this.records(listed, total) };
      }
      // A series named without a volume: the newest volume when asked for, else a list for a
      // price or stock question, else (its author, its story…) its first volume, not the tie's pick.
      // ("when does the newest one come out?" after "tell me about blue lock": that series' newest.)
      // "which volumes are in stock?" of the series in talk (this message's or, after "do you have frieren", the last one's)
      const list = this.asksVolumeList(question) ? this.volumeList(question, data.index.volumesLike(match.item)) : null;
      if (list) return list;
      const volumes = ownTitle ? this.tiedVolumes(question) : previous && this.asksLatest(question) ? this.tiedVolumes(`${previous} ${question}`) : [];
      const latest = volumes.length > 0 && this.asksLatest(question);
      const series = latest || wish?.order ? null : this.seriesAnswer(question, fields, volumes);
      if (series) return series;
      // "which is the cheapest one piece": the cheapest (or dearest) of its volumes
      const priced = wish?.order ? [...volumes].sort((a, b) => (wish.order === 'asc' ? a.price - b.price : b.price - a.price))[0] : undefined;
      const item = (latest ? volumes.at(-1) : (priced ?? volumes[0])) ?? match.item;
      const sentences = catalogAnswer(item, question, fields, data.config.catalogSentences, data.catalogText, this.unexplainedWords(question, item));
      // "and if i buy three?": what that many copies come to — not when the store has fewer in stock
      // ("five copies of the Akira box set": 2 in stock; the sum would price what cannot be bought).
      const copies = copiesAsked(question);
      const quantity = data.config.catalogSentences.quantity;
      const canBuy = !!copies && (item.preorder || item.format === 'ebook' || copies <= item.stock);
      const many = copies && quantity && canBuy ? fillSentence(quantity, { count: copies, title: item.title, total: data.catalogText.price(round2(copies * item.price)) }) : undefined;
      if (many) sentences.push(many);
      const found: StoreAnswer = { kind: 'catalog', sentences, sources: [item.title], lookedUp: this.records([item], many) };
      return this.withRule(found, question, contentTokens(`${item.title} ${item.author}`), undefined, sureIntent);
    }

    // A quote from the passages (catalog passages only when the question names a title), else
    // from the store's policies and FAQ looked up the same way; an unsure out-of-scope message
    // needs a closer match.
    // An order id is the shopper's own record, a word no policy or FAQ holds: it is left out of
    // the match, or it outweighs the words that say what is asked ("can I still cancel KB-48213?").
    const asked = this.withoutOrderIds(question);
    const expanded = this.withSynonyms(previous && contentTokens(asked).length <= 3 ? `${this.withoutOrderIds(previous)} ${asked}` : asked);
    const need = unsureOos ? 0.65 : MIN_COVERAGE;
    // A message naming one of the store's order ids asks about that order: it is answered from its
    // intent's own entries (order help, returns…), not from any passage that shares a word with it.
    const namesOrder = this.places.extract(question).some((e) => e.kind === 'order');
    const scoped = namesOrder && !!input.intent && this.answeredIntents.has(input.intent);
    const inScope = (p: Passage) => !scoped || data.intentOf.get(p.id) === input.intent;
    const candidates = input.passages.filter((p) => (!data.catalogIds.has(p.id) || titled) && inScope(p));
    const sure = (input.confidence ?? 0) >= 0.5 ? input.intent : undefined;
    const prior = (p: Passage) => (sure && data.intentOf.get(p.id) === sure ? 0.15 : 0);
    // A classifier sure of a template intent ("where is my order?": order_status) whose best quote
    // comes from another intent's passage matched words, not the question ("where" in a sales-tax
    // sentence, "check" in "check out as a guest"): the intent's template answers, as the edge would.
    const template = !scoped && !!input.intent && (input.confidence ?? 0) >= SURE && data.templates.has(input.intent) && this.answeredIntents.has(input.intent) ? input.intent : undefined;
    const elsewhere = (p: Passage) => !!template && data.intentOf.get(p.id) !== template;
    const lookups = scoped ? data.lookupPassages.filter(inScope) : data.lookupPassages;
    // "what's your phone number and when can I call": each part its own quote, when each finds one.
    const parts = this.partsAnswer(this.questionParts(asked), candidates, lookups, prior, need, input, inPassages);
    if (parts) return parts;
    const quoted = this.picker.pick(expanded, candidates, prior);
    if (quoted && quoted.coverage >= need) return elsewhere(quoted.passage) ? this.template(template!, question) : { kind: 'quote', sentences: quoted.sentences, sources: [quoted.passage.title ?? quoted.passage.id] };
    const looked = this.picker.pick(expanded, lookups, prior, false);
    if (looked && looked.coverage >= this.lookupBar(looked.passage, need, input)) return elsewhere(looked.passage) ? this.template(template!, question) : this.quoteOf(looked.sentences, looked.passage, inPassages);
    if (unsureOos) return this.decline();
    // The intent's own default answer (order help: where tracking is, the guest lookup); a message
    // naming one of the store's order ids is the store's business however unsure the classifier was.
    const defaults = input.intent && ((input.confidence ?? 0) >= SURE || namesOrder) ? data.config.intentDefaults[input.intent] : undefined;
    if (defaults) {
      const entries = defaults.map((id) => data.faq.find((f) => f.id === id)!);
      return { kind: 'quote', sentences: entries.map((f) => f.answer), sources: entries.map((f) => f.question), lookedUp: entries.filter((f) => !inPassages.has(f.id)).map((f) => ({ id: f.id, title: f.question, text: f.answer })) };
    }
    // Nothing answers it: a message mostly of words the store never uses is out of scope.
    const words = contentTokens(question);
    const foreign = words.filter((w) => !data.vocabulary.has(w)).length;
    // So is one the classifier could not place with confidence.
    return !namesOrder && ((words.length && foreign * 2 > words.length) || (input.confidence ?? 1) < PLACED) ? this.decline() : this.notFound();
  }

  /**
   * The coverage a quote looked up outside the retrieved passages needs: LOOKUP_COVERAGE, or the
   * retrieved passages' own bar when the classifier is sure (SURE) the message is of the intent
   * that owns the quote's passage — its intent is the evidence the retrieval did not give.
   */
  private lookupBar(p: Passage, need: number, input: AnswerInput): number {
    const vouched = !!input.intent && (input.confidence ?? 0) >= SURE && this.data.intentOf.get(p.id) === input.intent;
    return vouched ? need : Math.max(need, LOOKUP_COVERAGE);
  }

  /**
   * The questions a message asks one after the other: "how many days do I have to return, and can
   * I get store credit instead?" is two. Split at a question mark or semicolon with more after
   * it, and at "and" / "also" / "plus" that a question word or auxiliary follows; a part of fewer
   * than MIN_PART_WORDS content words is no question of its own (no split then).
   */
  private questionParts(question: string): string[] {
    const parts = question
      .split(/[?;]+\s*(?=\S)|,?\s+(?:and|also|plus)\s+(?=(?:also\s+)?(?:can|could|how|what|what's|whats|when|where|who|which|is|are|do|does|did|will|would|should|if)\b)/i)
      .map((p) => p.trim())
      .filter(Boolean);
    return parts.length > 1 && parts.every((p) => contentTokens(p).length >= MIN_PART_WORDS) ? parts : [];
  }

  /**
   * Each part of a message that asks several things (questionParts), quoted from the passages
   * (else looked up) as the whole message would be; null unless every part finds its quote and
   * they are not all one. The quotes join in the order asked, each said once.
   */
  private partsAnswer(parts: string[], candidates: Passage[], lookups: Passage[], prior: (p: Passage) => number, need: number, input: AnswerInput, inPassages: Set<string>): StoreAnswer | null {
    if (parts.length < 2) return null;
    const quotes: { sentences: string[]; passage: Passage }[] = [];
    for (const part of parts) {
      const words = this.withSynonyms(part);
      const quoted = this.picker.pick(words, candidates, prior);
      const found = quoted && quoted.coverage >= need ? quoted : this.picker.pick(words, lookups, prior, false);
      if (!found || found.coverage < (found === quoted ? need : this.lookupBar(found.passage, need, input))) return null;
      quotes.push(found);
    }
    const sentences = [...new Set(quotes.flatMap((q) => q.sentences))];
    if (quotes.every((q) => q.sentences.every((x) => quotes[0].sentences.includes(x)))) return null;
    const cited = [...new Map(quotes.map((q) => [q.passage.id, q.passage])).values()];
    const lookedUp = cited.filter((p) => !inPassages.has(p.id)).map((p) => ({ id: p.id, title: p.title, text: p.text }));
    return { kind: 'quote', sentences, sources: cited.map((p) => p.title ?? p.id), ...(lookedUp.length ? { lookedUp } : {}) };
  }

  /**
   * The items a question lists, in the order asked ("the shining, mexican gothic or the blade
   * itself"), "is the martian cheaper than project hail mary": parts split at commas, "or", "vs", "than", sentence ends — at "and" too when that finds no
   * list (titles have it: "Spice and Wolf") — each naming one item unambiguously; a format or
   * language said once is said of every part ("are dune and project hail mary available as
   * ebooks"). Fewer than two: no list.
   */
  listedItems(question: string): CatalogItem[] {
    const found = this.listed(question, /[,;.!?]+|\s+(?:or|vs\.?|versus|than)\s+/i);
    return found.length > 1 ? found : this.listed(question, /[,;.!?&+]+|\s+(?:or|vs\.?|versus|than|and)\s+/i);
  }

  private listed(question: string, separators: RegExp): CatalogItem[] {
    const parts = question.split(separators).filter((p) => p.trim());
    if (parts.length < 2) return [];
    const slots = tokens(question).flatMap((w) => (this.slotWords.has(w) ? [w] : this.slotWords.has(w.replace(/s$/, '')) ? [w.replace(/s$/, '')] : []));
    const found: { item: CatalogItem; words: string[] }[] = [];
    const titled = (text: string) => (this.data.index.match(text, 1)[0]?.score ?? 0) >= MIN_TITLE_SCORE;
    for (const part of parts) {
      // a part that is only a volume ("witch hat atelier 1 & 2", "vol 1 and vol 2", "blue lock 1 and 2 in stock") is that volume of the part before's series
      const bare = /^\s*(?:(?:vol|volume|book|no)\.?\s*)?#?(\d{1,3})(?!\S)(.*)$/i.exec(part.replace(/\s+-\s+.*$/, ''));
      const before = found.at(-1)?.item;
      if (bare && before && !(bare[2].trim() && titled(bare[2]))) {
        const same = this.data.index.volumesLike(before).find((it) => it.volume === Number(bare[1]));
        if (same) found.push({ item: same, words: [] });
        continue;
      }
      // a part with a format or language of its own ("hardcover and paperback", "in english and japanese") is that copy:
      // the question's other slots are not its; with no title of its own, it is of the part before's series
      const own = tokens(part).flatMap((w) => (slots.includes(w) ? [w] : slots.includes(w.replace(/s$/, '')) ? [w.replace(/s$/, '')] : []));
      const ofBefore = own.length > 0 && !!before && !titled(part);
      const text = ofBefore ? `${seriesName(before.title)} ${before.volume ?? ''} ${part} ${own.join(' ')}` : [part, ...(own.length ? own : slots)].join(' ');
      const [best, next] = this.data.index.match(text, 2);
      if (!best || best.score < MIN_TITLE_SCORE) continue;
      // a title named in full stands out of a tie ("dune" beside "dune messiah")
      const whole = best.item.volume == null && tokens(best.item.title).every((w) => tokens(ofBefore ? text : part).includes(w));
      if (next && best.score - next.score < UNAMBIGUOUS_MARGIN && !whole) continue;
      if (whole) {
        found.push({ item: best.item, words: [] });
        continue;
      }
      // a part may keep the words that lead into the list ("i'm choosing between the shining")
      if (this.unexplainedWords(part, best.item).length >= 3) continue;
      found.push({ item: best.item, words: contentTokens(part) });
    }
    // a part that is only words of another part's title is that title's ("Scott Pilgrim, Vol. 1: Precious Little Life"),
    // unless it names a title of its own in full (no words kept: "dune" beside "dune messiah")
    const inTitle = (words: string[], item: CatalogItem) => words.every((w) => contentTokens(item.title).includes(w));
    const items: CatalogItem[] = [];
    for (const f of found) if (!(f.words.length && found.some((o) => o.item.id !== f.item.id && inTitle(f.words, o.item))) && !items.some((i) => i.id === f.item.id)) items.push(f.item);
    return items;
  }

  /**
   * A record's answer (a title's row, a destination's rates) and the store's rule for what else
   * the question asks: "I'm buying the Haikyu box set, will somebody have to sign for it?", "if I'm
   * in Canada and order 2 box sets, will shipping cost more?", "if i preorder it, when is my card
   * charged?". The question less the words that name the record (the title and its author, the
   * places) is matched against every policy item and FAQ answer; the best sentence joins the
   * answer when it holds most of those words, and most (by weight) of the ones the record does
   * not hold that are no cue word of a field or of shipping and no asking word ("how long": what
   * the row answers). A question with fewer than
   * two such words asks only what the record holds: the answer is left as it is.
   */
  private withRule(found: StoreAnswer, question: string, naming: string[], home: string | undefined, sure: string | undefined): StoreAnswer {
    const named = new Set(naming);
    const said = new Set(contentTokens([...found.sentences, ...(found.lookedUp ?? []).map((p) => p.text)].join(' ')));
    const beyond = [...new Set(contentTokens(this.withSynonyms(question)))].filter(
      (w) => !named.has(w) && !said.has(w) && !this.generic.has(w) && !this.cueWords.has(w) && !this.askingWords.has(w) && !/^\d+$/.test(w),
    );
    if (beyond.length < RULE_MIN_WORDS) return found;
    const rule = this.picker.pick(beyond.join(' '), this.data.lookupPassages, (p) => (p.id === home ? RULE_HOME_BONUS : 0), false, 1);
    if (!rule) return found;
    // A policy item is one rule: all of it comes ("…up to 4 lb. Each additional 2 lb adds $6.00. Box sets usually weigh 6–12 lb.").
    const item = rule.passage.text.split('\n').find((l) => rule.sentences.every((x) => plainText(l).includes(x.replace(/\.$/, ''))));
    const whole = item ? splitSentences(plainText(item).replace(/^[-*]\s*/, '')).map((x) => x.trim()) : [];
    const sentences = whole.length && whole.length <= RULE_ITEM_SENTENCES ? whole : rule.sentences;
    const ruleWords = new Set(contentTokens(sentences.join(' ')));
    const weigh = (ws: string[]) => ws.reduce((n, w) => n + this.weightOf(w), 0);
    if (weigh(beyond.filter((w) => ruleWords.has(w))) < RULE_COVERAGE * weigh(beyond)) return found;
    // …holding at least two of them as the shopper wrote them (a synonym's expansion is not two words: "today" → "same day")…
    const typed = new Set(contentTokens(question));
    if (beyond.filter((w) => ruleWords.has(w) && typed.has(w)).length < RULE_MIN_WORDS) return found;
    // …and on the question's topic: most of the whole question (less the record's name) is in the rule too.
    const rest = [...new Set(contentTokens(this.withSynonyms(question)))].filter((w) => !named.has(w) && !this.generic.has(w) && !/^\d+$/.test(w));
    // A rule of another intent than the record's section or the classifier's must hold more of it ("ZIP code … turn off ad blockers" is no answer to "$10 off code … free shipping?").
    const own = new Set([home && this.data.intentOf.get(home), sure].filter(Boolean));
    const topic = weigh(rest.filter((w) => ruleWords.has(w))) / weigh(rest);
    if (topic < (own.has(this.data.intentOf.get(rule.passage.id)) ? RULE_TOPIC : RULE_TOPIC_ELSEWHERE)) return found;
    const extra = sentences.filter((x) => !found.sentences.includes(x));
    if (!extra.length) return found;
    const source = rule.passage.title ?? rule.passage.id;
    return {
      ...found,
      sentences: [...found.sentences, ...extra],
      sources: found.sources.includes(source) ? found.sources : [...found.sources, source],
      // always looked up whole: a retrieved chunk of the same section may not hold this item
      lookedUp: [...(found.lookedUp ?? []), { id: rule.passage.id, title: rule.passage.title, text: rule.passage.text }],
    };
  }

  /**
   * "do you have one piece?", "how much are the chainsaw man books": a price or stock question
   * that names a series and no volume, where its volumes tie (within UNAMBIGUOUS_MARGIN, which
   * the catalog route refuses: catalog-reply.ts), gets the first SERIES_SHOWN volumes of that
   * edition, format and language (CatalogIndex.volumesLike) with their price and availability, and
   * the others' numbers (answers.json `catalogSentences.seriesMore`) — not one volume picked by
   * the tie. Null when one title stands out ("is dune in stock": Dune, not Dune Messiah) or the
   * question asks another field.
   */
  private seriesAnswer(question: string, fields: CatalogField[], volumes: CatalogItem[]): StoreAnswer | null {
    const { data } = this;
    if (fields.some((f) => f !== 'price' && f !== 'stock') || volumes.length < 2) return null;
    // A word only the volumes' descriptions hold ("who did the art for one-punch man") asks what they say, not what they cost.
    const said = new Set(contentTokens(volumes.map((it) => it.description).join(' ')));
    const titleWords = new Set(contentTokens(volumes.map((it) => it.title).join(' ')));
    if (contentTokens(question).some((w) => said.has(w) && !titleWords.has(w) && !this.cueWords.has(w) && !this.generic.has(w))) return null;
    const shown = volumes.slice(0, SERIES_SHOWN);
    const rest = volumes.slice(SERIES_SHOWN).map((it) => String(it.volume));
    const sentences = shown.flatMap((it) => catalogAnswer(it, question, fields, data.config.catalogSentences, data.catalogText).slice(0, 1));
    const more = data.config.catalogSentences.seriesMore;
    if (rest.length && more) sentences.push(fillSentence(more, { count: rest.length, volumes: spokenList(rest) }));
    return { kind: 'catalog', sentences, sources: shown.map((it) => it.title), lookedUp: volumes.map((it) => ({ id: it.id, title: it.title, text: catalogDocument(it, data.catalogText).text })) };
  }

  /**
   * "how much is chainsaw man volume 4?" when the store has no volume 4 of the series (and edition)
   * the question names: says so and lists the volumes it has of that edition (answers.json
   * `catalogSentences.missingVolume`), instead of another series' volume 4 found through an earlier
   * turn's words. Null when the question names no series strongly enough, the series has the
   * volume, or the number is a word of the title ("Kaiju No. 8").
   */
  private missingVolume(question: string, found: CatalogItem | undefined): StoreAnswer | null {
    const { data } = this;
    const missing = data.config.catalogSentences.missingVolume;
    const volume = data.index.volumeOf(question);
    if (!missing || volume === null) return null;
    // The series, scored as if the volume asked were one it has.
    const [guess] = data.index.match(question, 1, null);
    const [top] = guess?.item.volume != null ? data.index.match(question, 1, guess.item.volume) : [];
    if (!top || top.score < MIN_TITLE_SCORE || top.item.volume == null || tokens(top.item.title).includes(String(volume))) return null;
    // The title found with that volume is the one asked, unless it names only part of what the
    // series does ("Saga, Vol. 2" for "vinland saga volume 2").
    const asked = new Set(tokens(question));
    const named = (it: CatalogItem) => new Set(tokens(it.title).filter((w) => !/^\d+$/.test(w) && asked.has(w)));
    if (found?.volume === volume && !(named(found).size < named(top.item).size && [...named(found)].every((w) => named(top.item).has(w)))) return null;
    const volumes = data.index.volumesLike(top.item);
    if (!volumes.length || volumes.some((it) => it.volume === volume)) return null;
    const numbers = volumes.map((it) => String(it.volume));
    const sentence = fillSentence(missing, { series: volumeSeries(top.item.title), volume, count: numbers.length, volumes: spokenList(numbers) });
    return { kind: 'catalog', sentences: [sentence], sources: [volumes[0].title], lookedUp: volumes.map((it) => ({ id: it.id, title: it.title, text: catalogDocument(it, data.catalogText).text })) };
  }

  /**
   * The volumes of one series (CatalogIndex.volumesLike: the same edition, format and language),
   * by number, when the question names that series and no volume and its volumes tie (within
   * UNAMBIGUOUS_MARGIN, which the catalog route refuses: catalog-reply.ts); else [].
   */
  private tiedVolumes(question: string): CatalogItem[] {
    const { data } = this;
    if (data.index.volumeOf(question) !== null) return [];
    const [top, next] = data.index.match(question, 2);
    if (!top || top.score < MIN_TITLE_SCORE || !next || top.score - next.score >= UNAMBIGUOUS_MARGIN) return [];
    const volumes = data.index.volumesLike(top.item);
    return volumes.length > 1 ? volumes : [];
  }

  /**
   * "which one piece volumes are in stock?", "what volumes of chainsaw man do you have": every
   * volume of the series' edition the store has, and which are in stock, out of stock or on
   * preorder (`catalogSentences.seriesVolumes`…), for a question that asks which volumes
   * (answers.json `volumeListCues`: the caller checks, before it gathers the volumes).
   */
  private volumeList(question: string, volumes: CatalogItem[]): StoreAnswer | null {
    const { data } = this;
    const s = data.config.catalogSentences;
    // "which volumes does vagabond vizbig 1 contain?" asks what one volume holds
    if (!s.seriesVolumes || volumes.length < 2 || data.index.volumeOf(question) !== null) return null;
    const listed = (items: CatalogItem[]) => spokenList(items.map((it) => String(it.volume)));
    const sentences = [fillSentence(s.seriesVolumes, { series: volumeSeries(volumes[0].title), count: volumes.length, volumes: listed(volumes) })];
    const preorder = volumes.filter((it) => it.preorder);
    const inStock = volumes.filter((it) => !it.preorder && (it.stock > 0 || it.format === 'ebook'));
    const out = volumes.filter((it) => !it.preorder && !inStock.includes(it));
    if (inStock.length === volumes.length && s.allInStock) sentences.push(s.allInStock);
    else {
      if (inStock.length && s.inStockVolumes) sentences.push(fillSentence(s.inStockVolumes, { volumes: listed(inStock) }));
      if (out.length && s.outOfStockVolumes) sentences.push(fillSentence(s.outOfStockVolumes, { volumes: listed(out) }));
      if (preorder.length && s.preorderVolumes) sentences.push(fillSentence(s.preorderVolumes, { volumes: listed(preorder) }));
    }
    return { kind: 'catalog', sentences, sources: [volumes[0].title], lookedUp: volumes.map((it) => ({ id: it.id, title: it.title, text: catalogDocument(it, data.catalogText).text })) };
  }

  private pricedAgain(question: string, typed: string, history: readonly string[], answers: readonly string[]): StoreAnswer | null {
    const { data } = this;
    const wish = this.recommender.priceWish(typed) ?? this.recommender.priceWish(question);
    const cheaper = this.recommender.saysCheaper(typed);
    // ("which is the cheapest one" picks among the offered: pickFromAnswer.)
    if (!history.length || !answers.length || (!wish && !cheaper) || listPositionOf(question) || whichByPrice(question)) return null;
    const titled = data.index.match(question, 1)[0];
    if (titled && titled.score >= MIN_TITLE_SCORE) {
      // "anything cheaper?" after "how much is dune": its cheaper copies (the ebook), cheapest first —
      // not when the message names a copy itself ("is the paperback cheaper?" asks about that one)
      const item = titled.item;
      const namesCopy = tokens(typed).some((w) => this.slotWords.has(w)) || (data.index.match(typed, 1)[0]?.score ?? 0) >= MIN_TITLE_SCORE;
      const copies = cheaper && !namesCopy
        ? data.catalog.filter((c) => seriesName(c.title) === seriesName(item.title) && (c.volume ?? null) === (item.volume ?? null) && c.price < item.price).sort((a, b) => a.price - b.price)
        : [];
      if (!copies.length) return null;
      const sentences = copies.flatMap((c) => catalogAnswer(c, question, ['price', 'stock'], data.config.catalogSentences, data.catalogText).slice(0, 1));
      return { kind: 'catalog', sentences, sources: copies.map((c) => c.title), lookedUp: this.records(copies) };
    }
    // the last answer offered picks for a message that asked for them (the last, or one a little before: "anything cheaper?" then "under 10?")
    const offered = this.titlesIn(answers.at(-1)!);
    const previous = history.slice(-3).reverse().find((h) => this.recommender.recommend(h, null));
    if (!offered.length || !previous) return null;
    const under = cheaper ? Math.min(...offered.map((it) => it.price)) - 0.01 : undefined;
    const max = wish?.max ?? under;
    const r = this.recommender.recommend(`${previous} ${question}`, null, { ...(max !== undefined ? { max } : {}), order: wish?.order ?? 'asc' });
    if (r?.items.length) return this.recommendation(r);
    const none = this.data.config.recommendation?.sentences.noneBelow;
    return none ? { kind: 'catalog', sentences: [none], sources: [] } : null;
  }

  /** Whether the question has one of the domain's `volumeListCues` ("which volumes", "every volume"). */
  private asksVolumeList(question: string): boolean {
    const q = normalize(question);
    return this.data.config.volumeListCues.some((c) => hasPhrase(q, c));
  }

  /** Whether the question has one of the domain's `latestCues` ("what's the newest one piece?"). */
  private asksLatest(question: string): boolean {
    const q = normalize(question);
    return this.data.config.latestCues.some((c) => hasPhrase(q, c));
  }

  private recommendation(r: Recommendation): StoreAnswer {
    const { data } = this;
    const s = data.config.recommendation!.sentences;
    // What the picks were chosen by: a title, a price order or limit, or the wishes alone.
    const lead = r.seed ? fillSentence(s.like, { seed: r.seed }) : r.price?.order === 'asc' && s.cheapest ? s.cheapest : r.price?.order === 'desc' && s.dearest ? s.dearest : r.price?.max !== undefined && s.below ? fillSentence(s.below, { max: data.catalogText.price(r.price.max) }) : s.picks;
    const sentences = [lead];
    for (const it of r.items) sentences.push(fillSentence(s.item, { title: it.title, author: it.author, genres: it.genre.join(', '), price: data.catalogText.price(it.price) }));
    return { kind: 'catalog', sentences, sources: r.items.map((it) => it.title), lookedUp: r.items.map((it) => ({ id: it.id, title: it.title, text: catalogDocument(it, data.catalogText).text })) };
  }

  /**
   * The title a list position of the question ("the second one", "the last book", "the cheaper
   * one") picks among those a recent answer listed (its catalog titles in the order written: a
   * recommendation, a series' volumes, a comparison), while the answers since spoke only of titles
   * of that list (as the edge's list-ordinal.ts keeps a list); null when the question names a title
   * of its own, says no position, or no such list is in the last LIST_LOOKBACK answers.
   */
  private pickFromAnswer(question: string, previous: readonly string[]): CatalogItem | null {
    if (!previous.length) return null;
    const pos: (ListPosition & { which?: true }) | null = listPositionOf(question) ?? whichByPrice(question);
    if (!pos) return null;
    const listed = this.recentList(previous);
    if (!listed) return null;
    // "which one is cheaper" of copies of one title ("project hail mary hardcover and paperback"): the
    // edge may have written that title for "one"; a title of the list's one series is no title of its own.
    const ofList = (item: CatalogItem) => pos.which && listed.every((l) => seriesName(l.title) === seriesName(item.title));
    // A title of its own: named beside the position ("the first one of dune"), or holding the
    // position's word ("the first one piece volume": its series' name is there).
    const rest = normalize(question).split(' ').filter((_, i) => i < pos.start || i >= pos.end).join(' ');
    const own = this.data.index.match(rest, 1)[0];
    if (own && own.score >= MIN_TITLE_SCORE && !ofList(own.item)) return null;
    const whole = this.data.index.match(question, 1)[0];
    if (whole && whole.score >= MIN_TITLE_SCORE && !ofList(whole.item) && ` ${normalize(question)} `.includes(` ${normalize(seriesName(whole.item.title))} `)) return null;
    if (pos.price) return [...listed].sort((a, b) => (pos.price === 'low' ? a.price - b.price : b.price - a.price))[0];
    const k = pos.n === -1 ? listed.length - 1 : pos.n - 1;
    return listed[k] ?? null;
  }

  /** What listed items come to together when the question asks it (`totalCues`), else undefined: the sentence a list's answer ends with. */
  totalIfAsked(question: string, items: CatalogItem[]): string | undefined {
    return items.length > 1 && this.asksTotal(question) ? this.totalSentence(items) : undefined;
  }

  /** Whether the question asks what several things come to together (answers.json `totalCues`: "together", "altogether", "in total"). */
  private asksTotal(question: string): boolean {
    const q = normalize(question);
    return this.data.config.totalCues.some((c) => hasPhrase(q, c));
  }

  /** "Dune and Dune Messiah come to $37.98 together." (`catalogSentences.total`). */
  private totalSentence(items: CatalogItem[]): string {
    const { data } = this;
    const titles = spokenList(items.map((i) => i.title));
    return fillSentence(data.config.catalogSentences.total ?? '{titles}: {total}.', { titles, total: data.catalogText.price(round2(items.reduce((t, i) => t + i.price, 0))) });
  }

  /**
   * "what's that come to altogether?" naming no title, after an answer that listed two or more:
   * what they come to together, each with its price (recentList: the list the talk is on).
   */
  private totalOfAnswer(question: string, previous: readonly string[]): StoreAnswer | null {
    if (!previous.length || !this.asksTotal(question)) return null;
    const own = this.data.index.match(question, 1)[0];
    if (own && own.score >= MIN_TITLE_SCORE) return null;
    const listed = this.recentList(previous);
    if (!listed) return null;
    const { data } = this;
    const total = this.totalSentence(listed);
    const sentences = [...listed.map((it) => catalogAnswer(it, question, ['price'], data.config.catalogSentences, data.catalogText)[0]), total];
    return { kind: 'catalog', sentences, sources: listed.map((it) => it.title), lookedUp: this.records(listed, total) };
  }

  /**
   * The records an answer was read from, as the region's guard grounds it (stages/generate.ts):
   * a sum or a multiple of their prices (`computed`: "Together, … come to $37.98.") is said with
   * the last record, so the guard finds the figure the records make instead of removing it as a
   * price no passage holds.
   */
  private records(items: readonly CatalogItem[], computed?: string): NonNullable<StoreAnswer['lookedUp']> {
    return items.map((it, i) => {
      const text = catalogDocument(it, this.data.catalogText).text;
      return { id: it.id, title: it.title, text: computed && i === items.length - 1 ? `${text}\n${computed}` : text };
    });
  }

  /**
   * "anything else by him?", "other books by the same author" (answers.json
   * `recommendation.byAuthorCues`): the other series by the author of the title the question
   * names, else of the latest title in talk (an earlier message, else the last answer's).
   */
  private byAuthor(question: string, history: readonly string[], previous: readonly string[]): StoreAnswer | null {
    const rec = this.data.config.recommendation;
    const q = normalize(question);
    if (!rec?.byAuthorCues.some((c) => hasPhrase(q, c))) return null;
    const titled = (text: string) => {
      const m = this.data.index.match(text, 1)[0];
      return m && m.score >= MIN_TITLE_SCORE ? m.item : null;
    };
    const seed = titled(question) ?? history.toReversed().map(titled).find(Boolean) ?? (previous.length ? this.titlesIn(previous.at(-1)!)[0] : undefined) ?? null;
    if (!seed) return null;
    const others = this.recommender.byAuthor(seed);
    const { data } = this;
    const item = (it: CatalogItem) => fillSentence(rec.sentences.item, { title: it.title, author: it.author, genres: it.genre.join(', '), price: data.catalogText.price(it.price) });
    const sentences = others.length ? [fillSentence(rec.sentences.byAuthor, { author: seed.author }), ...others.map(item)] : [fillSentence(rec.sentences.onlyByAuthor, { author: seed.author, title: seed.title })];
    const shown = others.length ? others : [seed];
    return { kind: 'catalog', sentences, sources: shown.map((it) => it.title), lookedUp: shown.map((it) => ({ id: it.id, title: it.title, text: catalogDocument(it, data.catalogText).text })) };
  }

  /**
   * "which andy weir books do you carry": a question naming an author in full (two words or more:
   * a one-word pen name is also a common word) and none of their titles gets the titles by that
   * author (answers.json `recommendation.sentences.authorTitles`), one per series.
   */
  private authorTitles(question: string): StoreAnswer | null {
    const rec = this.data.config.recommendation;
    if (!rec?.sentences.authorTitles) return null;
    const q = normalize(question);
    const author = this.recommender.authorNames().find((a) => a.includes(' ') && hasPhrase(q, a));
    if (!author) return null;
    const [own] = this.data.index.match(` ${q} `.replace(` ${author} `, ' '), 1);
    if (own && own.score >= MIN_TITLE_SCORE) return null;
    const items = this.recommender.titlesBy(author);
    if (!items.length) return null;
    const { data } = this;
    const name = items[0].author.replace(/\([^)]*\)/g, '').split(/,\s*/).find((a) => normalize(a) === author) ?? author;
    const item = (it: CatalogItem) => fillSentence(rec.sentences.item, { title: it.title, author: it.author, genres: it.genre.join(', '), price: data.catalogText.price(it.price) });
    return { kind: 'catalog', sentences: [fillSentence(rec.sentences.authorTitles, { author: name.trim() }), ...items.map(item)], sources: items.map((it) => it.title), lookedUp: items.map((it) => ({ id: it.id, title: it.title, text: catalogDocument(it, data.catalogText).text })) };
  }

  /** The titles the latest answer listing two or more named, if every answer since named only titles of it. */
  private recentList(previous: readonly string[]): CatalogItem[] | null {
    const since = new Set<CatalogItem>();
    for (const answer of previous.slice(-LIST_LOOKBACK).reverse()) {
      const titles = this.titlesIn(answer);
      if (titles.length >= 2) return [...since].every((t) => titles.includes(t)) ? titles : null;
      if (!titles.length) return null;
      since.add(titles[0]);
    }
    return null;
  }

  /** The catalog titles a text names in full, in the order written; at each place the longest ("Dune Messiah", not "Dune"). */
  private titlesIn(text: string): CatalogItem[] {
    const found: { at: number; end: number; item: CatalogItem }[] = [];
    for (const item of this.data.catalog) {
      for (let at = text.indexOf(item.title); at >= 0; at = text.indexOf(item.title, at + 1)) {
        // a whole title: not the start of a longer word ("Dune" in "Dunes")
        if (/[\p{L}\p{N}]/u.test(text[at + item.title.length] ?? '')) continue;
        found.push({ at, end: at + item.title.length, item });
      }
    }
    const kept = found.filter((f) => !found.some((o) => o !== f && o.at <= f.at && o.end >= f.end && o.end - o.at > f.end - f.at));
    const out: CatalogItem[] = [];
    for (const f of kept.sort((a, b) => a.at - b.at)) if (!out.includes(f.item)) out.push(f.item);
    return out;
  }

  /** A handoff line, grounded in the FAQ entry that holds the contact details it names. */
  private handoff(sentences: string[], kind: AnswerKind = 'handoff'): StoreAnswer {
    // Always attached whole: a retrieved chunk of it may not hold the contact details.
    const faq = this.data.faq.find((f) => f.id === this.data.config.handoffFaq)!;
    return { kind, sentences, sources: [], lookedUp: [{ id: faq.id, title: faq.question, text: faq.answer }] };
  }

  /** The intent's template variant for the question, grounded in the policy section or FAQ entry it names as its source. */
  private template(intent: string, question: string): StoreAnswer {
    const t = this.data.templates.answer(intent, question);
    const section = this.data.lookupPassages.filter((p) => p.id === t.source);
    return { kind: 'quote', sentences: splitSentences(t.text), sources: section.length ? [section[0].title] : [], lookedUp: section };
  }

  private quoteOf(sentences: string[], p: Passage, inPassages: Set<string>): StoreAnswer {
    return { kind: 'quote', sentences, sources: [p.title ?? p.id], ...(inPassages.has(p.id) ? {} : { lookedUp: [{ id: p.id, title: p.title, text: p.text }] }) };
  }

  /**
   * Whether the question names a catalog title and asks only what its record holds ("what does
   * piranesi cost"): the store's business whatever the classifier said; a request about the title
   * that the record does not explain ("summarise chapter 3 of the hobbit") is not. A follow-up
   * naming no title ("when does the newest one come out") asks the title of the user's turn before.
   */
  private asksRecord(question: string, previous?: string): boolean {
    if (!askedFields(question, this.data.config.fieldCues).length) return false;
    const titled = (text: string) => {
      const [best] = this.data.index.match(text, 1);
      return best && best.score >= MIN_TITLE_SCORE ? best.item : null;
    };
    const item = titled(question) ?? (previous ? titled(`${previous} ${question}`) : null);
    const latest = new Set(contentTokens(this.data.config.latestCues.join(' ')));
    return !!item && this.unexplainedWords(question, item).every((w) => latest.has(w));
  }

  /** Words of the question that neither the title's record nor the cue words explain (also the catalog route's test: catalog-reply.ts). */
  unexplainedWords(question: string, item: { title: string; author: string; description: string; genre: string[]; format: string; language: string; type?: string }): string[] {
    // its type as the pack labels it and as shoppers say it ("novel" for a book)
    const typeWords = item.type ? [this.data.catalogText.typeLabel(item.type), ...Object.entries(this.data.config.recommendation?.typeAliases ?? {}).filter(([, t]) => t === item.type).map(([w]) => w)] : [];
    const known = new Set(contentTokens([item.title, item.author, item.description, item.genre.join(' '), item.format, item.language, ...typeWords].join(' ')));
    return contentTokens(question).filter((w) => !known.has(w) && !this.cueWords.has(w) && !this.generic.has(w) && !/^\d+$/.test(w));
  }

  /** The text without the order ids it names (their digits, with any letters and dash before them). */
  private withoutOrderIds(text: string): string {
    const digits = this.places
      .extract(text)
      .filter((e) => e.kind === 'order')
      .map((e) => e.value.replace(/\D/g, ''));
    return digits.reduce((t, d) => t.replace(new RegExp(`\\b(?:[a-z]+-?)?${d}\\b`, 'gi'), ' '), text).replace(/\s+/g, ' ').trim();
  }

  private placesIn(text: string): string[] {
    return this.places
      .extract(text)
      .filter((e) => e.kind === 'place')
      .map((e) => e.value);
  }

  /** The question in the store's words: each synonym phrase replaced by the word the texts use. */
  private withSynonyms(text: string): string {
    let n = ` ${normalize(text)} `;
    for (const [from, to] of Object.entries(this.data.config.synonyms)) n = n.replace(new RegExp(` ${normalize(from)}(?:e?s)? `, 'g'), ` ${to} `);
    return n.trim();
  }

  private decline(): StoreAnswer {
    return { kind: 'decline', sentences: [this.data.templateText.oos ?? this.data.config.notFound], sources: [] };
  }

  private notFound(): StoreAnswer {
    return this.handoff([this.data.config.notFound, this.data.config.handoff], 'not-found');
  }
}
