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
 * Each result has a confidence: lower when the antecedent is further back, ambiguous (two series),
 * or words are left over that the rules do not understand. Below CONFIDENT_RESOLUTION, or with no
 * earlier turn at all ("unresolved"), the caller must not read or write any shared cache with it.
 */
import { DialogueEntities, PRODUCT_SLOTS, sortEntities, type DialogueEntity, type DialogueKind, type MessageAnalysis, type Span } from './dialogue-entities.ts';
import {
  DEMONSTRATIVE_BEFORE, DEMONSTRATIVE_NOUNS, DUMMY_IT_NEXT, FILLERS, FRAGMENT_CUES, INTERJECTIONS, ONE_DETERMINERS, OPENERS, PLACE_PRONOUN, PRODUCT_PRONOUNS,
  QUESTION_STARTS, THERE_EXISTENTIAL_AFTER, THERE_EXISTENTIAL_BEFORE,
} from './english-cues.ts';

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
}

/** At or above this, a resolution may read and write the semantic cache. */
export const CONFIDENT_RESOLUTION = 0.75;
/** How many earlier turns an antecedent is looked for in. */
export const LOOKBACK_TURNS = 4;

const NOT_CARRIED = new Set<DialogueKind>(['number', 'date']);

/** Whether `message` leans on earlier turns at all (a standalone message needs no context read). */
export function leansOnContext(message: string, ex: DialogueEntities): boolean {
  return readCues(ex.analyze(message)).followUp;
}

export function resolveFollowUp(message: string, turns: readonly ContextTurn[], ex: DialogueEntities): FollowUpResolution {
  const a = ex.analyze(message);
  const cues = readCues(a);
  const standalone: FollowUpResolution = { kind: 'standalone', text: message, carried: [], entities: a.entities, confidence: 1 };
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
  if (cues.frame) numberAsVolume(a, antecedent);

  const ownKinds = new Set(a.entities.map((e) => e.kind));
  const ownProduct = a.entities.find((e) => e.kind === 'product')?.value;
  const ctxProducts = new Set(antecedent.entities.filter((e) => e.kind === 'product').map((e) => e.value));
  const ctxProduct = [...ctxProducts][0];
  const carried = antecedent.entities.filter(
    (e) => !NOT_CARRIED.has(e.kind) && !ownKinds.has(e.kind) && !(PRODUCT_SLOTS.includes(e.kind) && ownProduct !== undefined && ownProduct !== ctxProduct),
  );
  const own = a.entities.map((e) => (e.kind === 'volume' && /^[+-]1$/.test(e.value) ? relativeVolume(e, antecedent.entities) : e));
  const entities = sortEntities(dedupe([...own, ...carried]));
  const carriedNames = carried.map((e) => `${e.kind}:${e.value}`);
  if (own.some((e, i) => e !== a.entities[i])) carriedNames.push('volume');

  let confidence: number;
  let text: string;
  if (cues.frame) {
    const built = reframe(a, antecedent.text, own, cues, ex);
    carriedNames.unshift('frame');
    return finish(built.text, built.leftover || !built.changed ? 0.6 : 0.95, antecedent.intent, distance);
  }
  if (cues.productPronoun && (ctxProduct || antecedent.entities.some((e) => e.kind === 'order'))) {
    text = replacePronouns(a, entities, own, cues);
    confidence = 0.9;
  } else if (cues.placePronoun && antecedent.entities.some((e) => e.kind === 'place')) {
    text = replacePronouns(a, entities, own, cues);
    confidence = 0.9;
  } else if (cues.dependentSlot && ctxProduct) {
    text = insertSeries(a, ctxProduct);
    confidence = 0.9;
  } else {
    text = `${stripEnd(message)} — ${ctxProduct ? productPhrase(entities) : stripEnd(antecedent.text).split(' — ').at(-1)}`;
    confidence = cues.productPronoun && !ctxProduct ? 0.8 : 0.85;
  }
  return finish(text, confidence, antecedent.intent, distance);

  function finish(t: string, c: number, intent: string | undefined, d: number): FollowUpResolution {
    let conf = c - 0.1 * d;
    if (needsProduct && ctxProducts.size > 1 && !ownProduct) conf = Math.min(conf, 0.4);
    return { kind: 'resolved', text: question(t, message), carried: carriedNames, entities, confidence: round(conf), ...(intent ? { contextIntent: intent } : {}) };
  }
}

interface Cues {
  followUp: boolean;
  /** Elliptical: re-ask the previous question with this message's entities. */
  frame: boolean;
  productPronoun: boolean;
  placePronoun: boolean;
  /** A volume (or, in a short message, an edition, format or language) with no series of its own. */
  dependentSlot: boolean;
  pronounAt: Set<number>;
  openerLength: number;
}

function readCues(a: MessageAnalysis): Cues {
  const w = a.words;
  const covered = new Array<boolean>(w.length).fill(false);
  for (const s of a.spans) for (let i = s.start; i < s.end; i++) covered[i] = true;
  const kinds = new Set(a.entities.map((e) => e.kind));
  let lead = 0;
  while (lead < w.length - 1 && INTERJECTIONS.has(w[lead]) && !covered[lead]) lead++;
  const opener = OPENERS.find((o) => o.every((x, j) => w[lead + j] === x && !covered[lead + j]));
  const openerLength = opener ? lead + opener.length : 0;
  const ownPredicate = openerLength > 0 && w.length - openerLength >= 3 && QUESTION_STARTS.has(w[openerLength]);

  const productAt = new Set<number>();
  const placeAt = new Set<number>();
  for (let i = 0; i < w.length; i++) {
    if (covered[i]) continue;
    const x = w[i];
    if (x === 'it' || x === 'its') {
      const next = w[i + 1] === 's' || w[i + 1] === 'is' ? w[i + 2] : w[i + 1];
      if (!DUMMY_IT_NEXT.has(next ?? '')) productAt.add(i);
    } else if (x === 'that' || x === 'this') {
      if (i === w.length - 1 || DEMONSTRATIVE_NOUNS.has(w[i + 1]) || DEMONSTRATIVE_BEFORE.has(w[i - 1])) productAt.add(i);
    } else if (PRODUCT_PRONOUNS.has(x)) {
      productAt.add(i);
    } else if ((x === 'one' || x === 'ones') && i > 0 && (ONE_DETERMINERS.has(w[i - 1]) || a.spans.some((s) => s.end === i && PRODUCT_SLOTS.includes(s.kind)))) {
      // "that one" is one pronoun, replaced once
      if (!productAt.has(i - 1)) productAt.add(i);
    } else if (x === PLACE_PRONOUN && !THERE_EXISTENTIAL_BEFORE.has(w[i - 1] ?? '') && !THERE_EXISTENTIAL_AFTER.has(w[i + 1] ?? '')) {
      placeAt.add(i);
    }
  }
  const anchored = kinds.has('product') || kinds.has('order');
  const productPronoun = productAt.size > 0 && !anchored;
  const placePronoun = placeAt.size > 0 && !kinds.has('place');
  const leftover = w.filter((x, i) => !covered[i] && i >= openerLength && !FILLERS.has(x));
  const entitiesOnly = (a.spans.length > 0 || productAt.size > 0) && leftover.length === 0;
  const short = w.length <= 6;
  // A volume always belongs to a series; an edition, format or language only in an elliptical
  // message ("in Japanese?", "the hardcover one") — "do you sell ebooks?" is a question of its own.
  const slotOnly = !anchored && a.spans.some((s) => PRODUCT_SLOTS.includes(s.kind));
  const dependentSlot = !anchored && (kinds.has('volume') || (slotOnly && (entitiesOnly || openerLength > 0)));
  const fragment = short && !anchored && !kinds.has('place') && FRAGMENT_CUES.some((c) => w.some((_, i) => c.every((x, j) => w[i + j] === x && !covered[i + j])));
  const frame = (openerLength > 0 && !ownPredicate) || entitiesOnly;
  const followUp = frame || productPronoun || placePronoun || dependentSlot || fragment;
  return { followUp, frame, productPronoun, placePronoun, dependentSlot, pronounAt: new Set([...(productPronoun ? productAt : []), ...(placePronoun ? placeAt : [])]), openerLength };
}

/**
 * Re-asks `frameText` with this message's entities: a kind the frame has is replaced, a product
 * slot the frame lacks goes after its series, anything else at the end; naming another series
 * drops the frame's volume, edition, format and language. Words the rules do not understand are
 * appended and flagged (`leftover`), which lowers the confidence.
 */
function reframe(a: MessageAnalysis, frameText: string, own: DialogueEntity[], cues: Cues, ex: DialogueEntities): { text: string; changed: boolean; leftover: boolean } {
  const f = ex.analyze(frameText);
  const parts: string[][] = f.words.map((x) => [x]);
  const spanOf = (kind: DialogueKind) => f.spans.find((s) => s.kind === kind);
  const ownSpans = a.spans.map((s, i) => ({ ...s, value: own[a.entities.findIndex((e) => e.kind === s.kind && e.value === s.value)]?.value ?? s.value, i }));
  const newProduct = ownSpans.find((s) => s.kind === 'product');
  const frameProduct = spanOf('product');
  if (newProduct && frameProduct && newProduct.value !== frameProduct.value) {
    for (const s of f.spans) if (PRODUCT_SLOTS.includes(s.kind) && !ownSpans.some((o) => o.kind === s.kind)) clear(parts, s);
  }
  let changed = false;
  const trailing: string[] = [];
  for (const s of ownSpans) {
    if (s.kind === 'number' || s.kind === 'date') continue;
    const words = render(s).split(' ');
    const target = spanOf(s.kind);
    changed = true;
    if (target) {
      clear(parts, target);
      parts[target.start] = words;
    } else if ((PRODUCT_SLOTS.includes(s.kind) || s.kind === 'product') && f.spans.some((x) => x.kind === 'product' || PRODUCT_SLOTS.includes(x.kind))) {
      const lastProductSpan = f.spans.filter((x) => x.kind === 'product' || PRODUCT_SLOTS.includes(x.kind)).at(-1)!;
      parts[lastProductSpan.end - 1] = [...parts[lastProductSpan.end - 1], ...words];
    } else {
      trailing.push(...(s.kind === 'place' ? ['to', ...words] : words));
    }
  }
  const covered = new Set<number>();
  for (const s of a.spans) for (let i = s.start; i < s.end; i++) covered.add(i);
  const leftover = a.words.filter((x, i) => !covered.has(i) && i >= cues.openerLength && !FILLERS.has(x) && !cues.pronounAt.has(i));
  const text = [...parts.flat(), ...trailing, ...leftover].join(' ');
  return { text, changed, leftover: leftover.length > 0 };
}

/** "is it in stock" → "is berserk deluxe edition volume 2 in stock"; "do you ship there" → "… ship to canada". */
function replacePronouns(a: MessageAnalysis, entities: DialogueEntity[], own: DialogueEntity[], cues: Cues): string {
  const ownKinds = new Set(own.map((e) => e.kind));
  const out: string[] = [];
  const place = entities.find((e) => e.kind === 'place');
  const order = entities.find((e) => e.kind === 'order');
  const product = productPhrase(entities.filter((e) => !ownKinds.has(e.kind) || e.kind === 'product'));
  for (let i = 0; i < a.words.length; i++) {
    const x = a.words[i];
    if (!cues.pronounAt.has(i)) {
      out.push(x);
      continue;
    }
    if (x === PLACE_PRONOUN) {
      out.push(...(a.words[i - 1] === 'to' ? [] : ['to']), place?.value ?? x);
    } else {
      out.push(product || (order ? `order ${order.value.toUpperCase()}` : x));
      if (a.words[i + 1] === 'one' || a.words[i + 1] === 'ones') i++;
      if (a.words[i + 1] === 's') {
        out.push('is');
        i++;
      }
    }
  }
  return out.join(' ');
}

/** "how much is the first one" → "how much is the frieren volume 1". */
function insertSeries(a: MessageAnalysis, series: string): string {
  const first = a.spans.find((s) => PRODUCT_SLOTS.includes(s.kind))!;
  const parts: string[][] = a.words.map((x) => [x]);
  for (const s of a.spans) if (PRODUCT_SLOTS.includes(s.kind)) {
    clear(parts, s);
    parts[s.start] = render(s).split(' ');
  }
  parts[first.start] = [series, ...parts[first.start]];
  return parts.flat().join(' ');
}

/** The words a series and its slots are said with: "berserk deluxe edition volume 2 in japanese". */
export function productPhrase(entities: DialogueEntity[]): string {
  const get = (k: DialogueKind) => entities.find((e) => e.kind === k);
  const order: DialogueKind[] = ['product', 'edition', 'format', 'volume', 'language'];
  return order
    .map(get)
    .filter((e): e is DialogueEntity => !!e)
    .map(render)
    .join(' ');
}

function render(e: DialogueEntity): string {
  if (e.kind === 'volume') return `volume ${e.value}`;
  if (e.kind === 'language') return `in ${e.value}`;
  if (e.kind === 'order' || (e.kind === 'product' && e.value.startsWith('kb-sku-'))) return e.value.toUpperCase();
  return e.value;
}

/** "and 2?" after a volume: the number is the next volume (the analysis is changed in place). */
function numberAsVolume(a: MessageAnalysis, antecedent: ContextTurn): void {
  if (a.entities.some((e) => e.kind === 'volume') || !antecedent.entities.some((e) => e.kind === 'volume')) return;
  const numbers = a.spans.filter((s) => s.kind === 'number' && /^\d{1,3}$/.test(s.value));
  if (numbers.length !== 1) return;
  numbers[0].kind = 'volume';
  a.entities = sortEntities(a.entities.map((e) => (e.kind === 'number' && e.value === numbers[0].value ? { kind: 'volume', value: e.value } : e)));
}

function relativeVolume(e: DialogueEntity, context: DialogueEntity[]): DialogueEntity {
  const base = Number(context.find((c) => c.kind === 'volume')?.value ?? 1);
  return { kind: 'volume', value: String(Math.max(1, base + Number(e.value))) };
}

function clear(parts: string[][], s: Span): void {
  for (let i = s.start; i < s.end; i++) parts[i] = [];
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
  const t = stripEnd(text.replace(/\s+/g, ' '));
  return /\?\s*$/.test(original) ? `${t}?` : t;
}

function round(x: number): number {
  return Math.max(0, Math.min(1, Math.round(x * 100) / 100));
}
