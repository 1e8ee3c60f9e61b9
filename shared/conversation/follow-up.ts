/**
 * Follow-up resolution without an LLM: decides whether a message leans on earlier turns ("and
 * volume 2?", "is it in stock?", "what about the UK?", "do you ship there?", "the Japanese one",
 * "how long does it take?") and rewrites it as a standalone message, carrying the series, volume,
 * edition, format, language, destination or order id (and the question itself, for ellipsis)
 * from the turn it leans on. A message that brings its own topic ("what's your return policy?",
 * "thanks!", "do you ship to Japan?") is left as it is.
 *
 * Three ways to resolve, by what the message lacks:
 *   - frame:   an ellipsis ("and volume 2?", "what about the UK?", "hardcover?") re-asks the previous
 *              question with its own entities swapped in ("how much is berserk … volume 2");
 *   - pronoun: "it"/"that one"/"there" is replaced by what it points at ("is berserk … in stock");
 *   - append:  a fragment with its own predicate ("how long does it take?", "how much?") gets the
 *              context written after it ("how long does it take — do you ship to canada").
 * And one by what the assistant asked: a short reply giving an id it asked for ("it's 12345" after
 * "where is my order?") re-asks that question with the id (id-reply.ts, a "frame").
 * Each result has a confidence: lower when the antecedent is further back, ambiguous (two series),
 * or words are left over that the rules do not understand. Below CONFIDENT_RESOLUTION, or with no
 * earlier turn at all ("unresolved"), the caller must not read or write any shared cache with it.
 */
import { DialogueEntities, PRODUCT_SLOTS, sortEntities, tokens, type DialogueEntity, type DialogueKind, type MessageAnalysis } from './dialogue-entities.ts';
import { readCues, type Cues } from './follow-up-cues.ts';
import { askedSlot, insertSeries, productPhrase, reframe, replacePronouns } from './follow-up-rewrite.ts';
import { idReply, mayGiveId } from './id-reply.ts';
import { pickFromList, saysListPosition } from './list-ordinal.ts';
import { mayNegate, negatedReply } from './negation.ts';
import { isCourtesyOnly, withoutCourtesyLead } from './courtesy.ts';
import { AGE_AFTER, AGE_BEFORE, ASK_IN_FULL, PLURAL_PRONOUNS } from './english-cues.ts';

/** What the resolver needs of an earlier turn (oldest first in a list). */
export interface ContextTurn {
  /** The user's message as it was resolved (standalone). */
  text: string;
  entities: DialogueEntity[];
  intent?: string;
}

export type ResolutionKind = 'standalone' | 'resolved' | 'unresolved';

export interface FollowUpResolution {
  kind: ResolutionKind;
  /** The standalone message to classify and key the cache with. */
  text: string;
  /** What was taken from earlier turns: "frame" (the previous question), "kind:value" entities. */
  carried: string[];
  /** The message's own entities plus the carried ones. */
  entities: DialogueEntity[];
  /** 1 for a standalone message; 0 when a follow-up had nothing to lean on. */
  confidence: number;
  /** Intent of the turn leant on, for when the classifier is unsure of the resolved text. */
  contextIntent?: string;
  /** How a follow-up was rewritten: the previous question re-asked (frame), a pronoun or slot filled in, or the earlier question or product written after it (append). */
  form?: 'frame' | 'pronoun' | 'slot' | 'append-question' | 'append-product';
}

/** At or above this, a resolution may read and write the semantic cache. */
export const CONFIDENT_RESOLUTION = 0.75;
/** How many earlier turns an antecedent is looked for in. */
export const LOOKBACK_TURNS = 4;

const NOT_CARRIED: ReadonlySet<string> = new Set<DialogueKind>(['number', 'date']);

/** Whether `message` leans on earlier turns at all (a standalone message needs no context read). */
export function leansOnContext(message: string, ex: DialogueEntities): boolean {
  const a = ex.analyze(message);
  return cuesOf(a, ex).followUp || mayGiveId(message, a, ex) || saysListPosition(a) || mayNegate(a);
}

/**
 * The cues of an analysis, read once: the analysis is the extractor's shared one (DialogueEntities.analyze),
 * and one answer asks for the cues of its message two or three times (leansOnContext, then its resolution alone and in context).
 */
const readCuesOf = new WeakMap<MessageAnalysis, Cues>();
function cuesOf(a: MessageAnalysis, ex: DialogueEntities): Cues {
  let cues = readCuesOf.get(a);
  if (!cues) readCuesOf.set(a, (cues = readCues(a, ex.itemNouns)));
  return cues;
}

export function resolveFollowUp(message: string, given: readonly ContextTurn[], ex: DialogueEntities): FollowUpResolution {
  // One thanks or greeting just before ("brill, thank you" → "and how many days does that take") is no turn to lean on, nor
  // any distance; more of them still are (the talk has moved on).
  const thanks = given.length > 1 && !given.at(-1)!.entities.length && isCourtesyOnly(given.at(-1)!.text);
  const turns = thanks ? given.slice(0, -1) : given;
  // What the message asks, resolved or standalone: without a courtesy sentence before it ("haha nice. is it ok for a 13 yo"),
  // which neither leans on the talk nor asks anything; titles as the catalog writes them.
  const asked = slotsSpelled(withoutCourtesyLead(message), ex);
  let a = ex.analyze(asked);
  const cues = cuesOf(a, ex);
  const standalone: FollowUpResolution = { kind: 'standalone', text: inCatalogWords(asked, a), carried: [], entities: a.entities, confidence: 1 };
  const reply = idReply(asked, a, turns, ex, NOT_CARRIED);
  if (reply) {
    const fromTurn = reply.entities.filter((e) => e !== reply.id && !a.entities.some((o) => o.kind === e.kind && o.value === e.value));
    const carried = ['frame', ...fromTurn.map((e) => `${e.kind}:${e.value}`)];
    return { kind: 'resolved', text: question(reply.text, message), carried, entities: sortEntities(dedupe(reply.entities)), confidence: 0.95, form: 'frame', contextIntent: reply.intent };
  }
  const neg = negatedReply(a, turns, ex, LOOKBACK_TURNS);
  if (neg) {
    // "not the deluxe one, the regular": the question that named it, re-asked without it
    const carried = ['frame', ...neg.entities.filter((e) => !a.entities.some((o) => o.kind === e.kind && o.value === e.value)).map((e) => `${e.kind}:${e.value}`)];
    const intent = turns[neg.turn].intent;
    return { kind: 'resolved', text: question(neg.text, message), carried, entities: sortEntities(dedupe(neg.entities)), confidence: round(0.9 - 0.1 * (turns.length - 1 - neg.turn)), form: 'frame', ...(intent ? { contextIntent: intent } : {}) };
  }
  const pick = pickFromList(a, turns, ex, LOOKBACK_TURNS);
  if (pick) {
    // "is the last one in stock?" after three titles: that title, in the ordinal's place (not a volume).
    const inPick = (s: { start: number; end: number }) => s.start < pick.end && s.end > pick.start;
    const own = a.spans.filter((s) => !(s.kind === 'volume' && inPick(s))).map((s) => ({ kind: s.kind, value: s.value }));
    let text = [...a.words.slice(0, pick.start), pick.product.value, ...a.words.slice(pick.end)].join(' ');
    let intent = turns[pick.turn].intent;
    if (cues.frame && !a.words.slice(pick.end).length) {
      // "same for the other one": the last question re-asked of the pick
      const b = ex.analyze(text);
      text = reframe(b, turns[turns.length - 1].text, b.entities, cuesOf(b, ex), ex).text;
      intent = turns[turns.length - 1].intent;
    }
    return { kind: 'resolved', text: question(text, message), carried: [`${pick.product.kind}:${pick.product.value}`], entities: sortEntities(dedupe([...own, pick.product])), confidence: round(0.9 - 0.1 * (turns.length - 1 - pick.turn)), form: 'pronoun', ...(intent ? { contextIntent: intent } : {}) };
  }
  if (!cues.followUp) return standalone;
  if (!turns.length) return { ...standalone, kind: 'unresolved', confidence: 0 };

  const last = turns.length - 1;
  const needsProduct = cues.productPronoun || cues.dependentSlot;
  const has = (t: ContextTurn, kinds: DialogueKind[]) => t.entities.some((e) => kinds.includes(e.kind));
  const find = (pred: (t: ContextTurn) => boolean) => {
    for (let i = last; i >= Math.max(0, turns.length - LOOKBACK_TURNS); i--) if (pred(turns[i])) return i;
    return -1;
  };
  // What the message points back at: a series (or order) for "it"/"volume 2", a place for
  // "there"; "it" with no series around points at the last question as a whole ("how long does
  // it take?" after "do you ship to Canada?"). An ellipsis re-asks the last question, unless it
  // names only a product slot ("the paperback one?") and the series was further back.
  let at = needsProduct ? find((t) => has(t, ['product', 'order'])) : cues.placePronoun ? find((t) => has(t, ['place'])) : last;
  if (at < 0 && cues.productPronoun && !cues.dependentSlot) at = find((t) => t.entities.some((e) => !NOT_CARRIED.has(e.kind)));
  if (at < 0 && cues.frame) at = last;
  if (at < 0) return { ...standalone, kind: 'unresolved', confidence: 0.2 };
  const antecedent = turns[at];
  const distance = last - at;
  if (cues.frame) a = numberAsVolume(a, antecedent);

  const ownKinds = new Set(a.entities.map((e) => e.kind));
  const ownProduct = a.entities.find((e) => e.kind === 'product')?.value;
  const ctxProducts = new Set(antecedent.entities.filter((e) => e.kind === 'product').map((e) => e.value));
  const ctxProduct = [...ctxProducts][0];
  // Another series drops the slots of the copy in talk, not the one the question asks about ("is X hardcover?" → "and Y?").
  const askedOf = cues.frame ? askedSlot(ex.analyze(antecedent.text)) : undefined;
  const isAsked = (e: DialogueEntity) => !!askedOf && askedOf.kind === e.kind && askedOf.value === e.value;
  const carried = antecedent.entities.filter(
    (e) => !NOT_CARRIED.has(e.kind) && !ownKinds.has(e.kind) && !(PRODUCT_SLOTS.includes(e.kind) && ownProduct !== undefined && ownProduct !== ctxProduct && !isAsked(e)) && !a.entities.some((o) => ex.excludes(o, e)),
  );
  const own = a.entities.map((e) => (e.kind === 'volume' && /^[+-]1$/.test(e.value) ? relativeVolume(e, antecedent.entities) : e));
  const entities = sortEntities(dedupe([...own, ...carried]));
  const carriedNames = carried.map((e) => `${e.kind}:${e.value}`);
  if (own.some((e, i) => e !== a.entities[i])) carriedNames.push('volume');

  let confidence: number;
  let text: string;
  let form: NonNullable<FollowUpResolution['form']>;
  if (cues.frame) {
    const built = reframe(a, antecedent.text, own, cues, ex);
    // "what about shipping to iceland, is that a thing" after a price question: an opener, then a
    // thing of a kind the last question has none of and words of its own: a new question, not that one re-asked.
    const things = (es: readonly DialogueEntity[]) => new Set(es.filter((e) => !NOT_CARRIED.has(e.kind) && e.kind !== 'term').map((e) => (PRODUCT_SLOTS.includes(e.kind) ? 'product' : e.kind)));
    const ownThings = things(a.entities);
    const ctxThings = things(antecedent.entities);
    if (built.leftover && ownThings.size > 0 && ctxThings.size > 0 && ![...ownThings].some((k) => ctxThings.has(k))) return standalone;
    carriedNames.unshift('frame');
    return finish(built.text, built.leftover || !built.changed ? 0.6 : 0.95, antecedent.intent, distance, 'frame');
  }
  if (cues.productPronoun && (ctxProduct || antecedent.entities.some((e) => e.kind === 'order'))) {
    text = replacePronouns(a, entities, own, cues, ex);
    confidence = 0.9;
    form = 'pronoun';
  } else if (cues.placePronoun && antecedent.entities.some((e) => e.kind === 'place')) {
    text = replacePronouns(a, entities, own, cues, ex);
    confidence = 0.9;
    form = 'pronoun';
  } else if (cues.dependentSlot && ctxProduct) {
    // "is the next one out yet": the volume it means is written, not "+1"
    const spans = a.spans.map((sp) => (sp.kind === 'volume' && /^[+-]1$/.test(sp.value) ? { ...sp, value: relativeVolume(sp, antecedent.entities).value } : sp));
    // "got the japanese version?" after Frieren vol. 1: "do you have the frieren volume 1 in japanese?" (the volume in talk said with its series)
    const volume = ownKinds.has('volume') ? undefined : carried.find((e) => e.kind === 'volume');
    text = askInFull(insertSeries({ ...a, spans }, productPhrase([{ kind: 'product', value: ctxProduct }, ...(volume ? [volume] : [])], ex), ex));
    confidence = 0.9;
    form = 'slot';
  } else {
    // a question that named several titles or copies ("nana vol 1 and vol 2, what do they cost", "… in english and japanese") is written whole: one product phrase says one of them
    const several = ctxProducts.size > 1 || PRODUCT_SLOTS.some((k) => antecedent.entities.filter((e) => e.kind === k).length > 1);
    text = `${stripEnd(asked)} — ${ctxProduct && !several ? productPhrase(entities, ex) : stripEnd(antecedent.text).split(' — ').at(-1)}`;
    confidence = cues.productPronoun && !ctxProduct ? 0.8 : 0.85;
    form = ctxProduct && !several ? 'append-product' : 'append-question';
  }
  return finish(text, confidence, antecedent.intent, distance, form);

  function finish(t: string, c: number, intent: string | undefined, d: number, how: NonNullable<FollowUpResolution['form']>): FollowUpResolution {
    let conf = c - 0.1 * d;
    // two titles it could mean; not when the whole question is re-asked of both ("what about in english" after a list), nor when "they" means both
    const plural = [...cues.pronounAt].some((i) => PLURAL_PRONOUNS.has(a.words[i]));
    if (needsProduct && ctxProducts.size > 1 && !ownProduct && how !== 'frame' && !(how === 'pronoun' && plural)) conf = Math.min(conf, 0.4);
    return { kind: 'resolved', text: question(t, message), carried: carriedNames, entities, confidence: round(conf), form: how, ...(intent ? { contextIntent: intent } : {}) };
  }
}

/**
 * The message with each series it names by a short name or with a slip written as the catalog
 * names it ("hitchikers guide to the galaxy price" → "the hitchhiker's guide to the galaxy price"),
 * so the classifier, the cache key and the region read the title (the message as typed otherwise).
 */
function inCatalogWords(message: string, a: MessageAnalysis): string {
  // A title written out longer than its series' name ("tomorrow, and tomorrow, and tomorrow" of "tomorrow") stays as written: it says more of the title.
  const renamed = a.spans.filter((s) => s.kind === 'product' && a.words.slice(s.start, s.end).join(' ') !== tokens(s.value).join(' ') && s.end - s.start <= tokens(s.value).length);
  if (!renamed.length) return message;
  const out: string[] = [];
  for (let i = 0; i < a.words.length; i++) {
    const s = renamed.find((x) => x.start === i);
    if (s) {
      out.push(s.value);
      i = s.end - 1;
    } else out.push(a.words[i]);
  }
  return question(out.join(' '), message);
}

/** The message with a slot typed with a slip written as the slot ("is it paperbak" → "is it paperback"), so the region reads it too. */
function slotsSpelled(message: string, ex: DialogueEntities): string {
  const a = ex.analyze(message);
  const slips = a.spans.filter((s) => s.slip && PRODUCT_SLOTS.includes(s.kind));
  if (!slips.length) return message;
  const words = [...a.words];
  for (const s of slips) words.splice(s.start, 1, s.value);
  return question(words.join(' '), message);
}

/** "and 2?" after a volume: the number is the next volume (a new analysis: the extractor's is shared and never changed). */
function numberAsVolume(a: MessageAnalysis, antecedent: ContextTurn): MessageAnalysis {
  if (a.entities.some((e) => e.kind === 'volume') || !antecedent.entities.some((e) => e.kind === 'volume')) return a;
  // "he's turning 11", "for a 9 year old": an age, not a volume
  const age = (s: { start: number; end: number }) => AGE_BEFORE.has(a.words[s.start - 1] ?? '') || AGE_AFTER.has(a.words[s.end] ?? '');
  const numbers = a.spans.filter((s) => s.kind === 'number' && /^\d{1,3}$/.test(s.value) && !age(s));
  if (numbers.length !== 1) return a;
  const [n] = numbers;
  return {
    words: a.words,
    spans: a.spans.map((s) => (s === n ? { ...s, kind: 'volume' } : s)),
    entities: sortEntities(a.entities.map((e) => (e.kind === 'number' && e.value === n.value ? { kind: 'volume', value: e.value } : e))),
  };
}

function relativeVolume(e: DialogueEntity, context: DialogueEntity[]): DialogueEntity {
  const base = Number(context.find((c) => c.kind === 'volume')?.value ?? 1);
  return { kind: 'volume', value: String(Math.max(1, base + Number(e.value))) };
}

/** A chat form of an existential ask that opens a rewritten question said in full ("got the …" → "do you have the …"). */
function askInFull(text: string): string {
  const ask = Object.keys(ASK_IN_FULL).filter((k) => text === k || text.startsWith(`${k} `)).sort((x, y) => y.length - x.length)[0];
  return ask ? `${ASK_IN_FULL[ask]}${text.slice(ask.length)}` : text;
}

function dedupe(es: DialogueEntity[]): DialogueEntity[] {
  const m = new Map<string, DialogueEntity>();
  for (const e of es) m.set(`${e.kind}:${e.value}`, e);
  return [...m.values()];
}

function stripEnd(s: string): string {
  return s.trim().replace(/[?.!\s]+$/, '');
}

function question(text: string, original: string): string {
  // the words rejoin a negative contraction ("hasn t" → "hasn't"): the region's cue words are written so
  const t = stripEnd(text.replace(/\s+/g, ' ').replace(/\b(\w+n) t\b/g, "$1't"));
  return /\?\s*$/.test(original) ? `${t}?` : t;
}

function round(x: number): number {
  return Math.max(0, Math.min(1, Math.round(x * 100) / 100));
}
