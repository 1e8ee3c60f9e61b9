/**
 * What in a message makes it lean on earlier turns, read from its words and entity spans: an
 * ellipsis opener ("and", "what about", after "thanks,"/"ok"), a pronoun that points at a product
 * ("it", "that one", "the Japanese one") or a place ("there"), a volume or product slot with no
 * series of its own, a question fragment ("how much?"). English rules (english-cues.ts); it
 * decides nothing about what the message means.
 */
import { PRODUCT_SLOTS, type ItemNouns, type MessageAnalysis } from './dialogue-entities.ts';
import { withinOneEdit } from '../cache/aspects.ts';
import {
  ANTECEDENT_DETERMINERS, ANTECEDENT_NOUNS, CORRECTIONS, DEMONSTRATIVE_BEFORE, DEMONSTRATIVE_NOUNS, DUMMY_IT_NEXT, ELLIPSIS_FILLERS, FILLERS, FRAGMENT_CUES, FRAGMENT_WORDS, INTERJECTIONS, ONE_DETERMINERS, OPENERS, PLACE_PRONOUN, PRODUCT_PRONOUNS,
  CHOICE_WORDS, COMPLEMENT_PREPOSITIONS, EXISTENTIAL_ASKS, SLOT_DETERMINERS, QUESTION_STARTS, RETURN_CUES, VERB_SUBJECTS, THERE_EXISTENTIAL_AFTER, THERE_EXISTENTIAL_BEFORE, WH_TAILS, WH_WORDS,
} from './english-cues.ts';

const NO_NOUNS: ItemNouns = { demonstrative: new Set(), antecedent: new Set() };
const NONE_COVERED: readonly boolean[] = [];
const NO_ASKS: readonly string[][] = [];
/** Verbs after which "it" is a dummy subject when the message points at a place ("how long would it take to get there"). */
const TAKE_VERBS: ReadonlySet<string> = new Set(['take', 'takes', 'usually']);
/** Entity kinds that are not a thing a pronoun could point at. */
const NOT_THINGS: ReadonlySet<string> = new Set(['place', 'number', 'date']);

export interface Cues {
  followUp: boolean;
  /** Elliptical: re-ask the previous question with this message's entities. */
  frame: boolean;
  productPronoun: boolean;
  placePronoun: boolean;
  /** A volume (or, in a short message, an edition, format or language) with no series of its own. */
  dependentSlot: boolean;
  /** A short question of a store term and question words only ("whats express", "is there a quicker option"). */
  termAsk: boolean;
  pronounAt: Set<number>;
  openerLength: number;
}

/** `itemNouns`: the domain's words for its things (conversation.json), read beside DEMONSTRATIVE_NOUNS and ANTECEDENT_NOUNS. */
export function readCues(a: MessageAnalysis, itemNouns: ItemNouns = NO_NOUNS): Cues {
  const w = withCueSlips(a, itemNouns.asks ?? NO_ASKS);
  const demonstrativeNoun = (x: string | undefined) => x !== undefined && (DEMONSTRATIVE_NOUNS.has(x) || itemNouns.demonstrative.has(x));
  const covered = new Array<boolean>(w.length).fill(false);
  for (const s of a.spans) for (let i = s.start; i < s.end; i++) covered[i] = true;
  const kinds = new Set(a.entities.map((e) => e.kind));
  let lead = 0;
  while (lead < w.length - 1 && INTERJECTIONS.has(w[lead]) && !covered[lead]) lead++;
  // "sorry, I meant vol 2", "actually make that the paperback": the words taking back the last
  // question are no content of this one (with entities only after them it is an ellipsis).
  let corrected = lead;
  for (let c: string[] | undefined; corrected < w.length - 1 && (c = CORRECTIONS.find((p) => p.every((x, j) => w[corrected + j] === x && !covered[corrected + j]))); ) corrected += c.length;
  const correction = corrected > lead;
  if (correction) while (corrected < w.length - 1 && INTERJECTIONS.has(w[corrected]) && !covered[corrected]) corrected++;
  const opener = OPENERS.find((o) => o.every((x, j) => w[corrected + j] === x && !covered[corrected + j]));
  const openerLength = opener ? corrected + opener.length : correction ? corrected : 0;
  // "and do you ship to Japan?" brings its own predicate; so does "ok and how much": a question
  // fragment after the opener asks its own question of the thing in talk (not the last question again).
  const rest = w.slice(openerLength);
  // So does a title of its own with such a fragment: "and the hunger games box set price" asks that title's price.
  const restCovered = covered.slice(openerLength);
  const ownTitle = a.spans.some((s) => s.kind === 'product' && s.start >= openerLength);
  const ownPredicate =
    !!opener &&
    ((rest.length >= 3 && QUESTION_STARTS.has(w[openerLength])) ||
      (a.spans.length === 0 && rest.length > 0 && rest.every((x) => FRAGMENT_WORDS.has(x)) && FRAGMENT_CUES.some((c) => phraseAt(rest, c, NONE_COVERED))) ||
      (ownTitle && rest.every((x, i) => restCovered[i] || FRAGMENT_WORDS.has(x)) && FRAGMENT_CUES.some((c) => phraseAt(rest, c, restCovered))));

  const productAt = new Set<number>();
  const placeAt = new Set<number>();
  // A pronoun after a thing named in the same message points at that thing, not back. A thing is
  // a named entity (not a place, number or date; an edition, format or language only when the
  // pronoun is not its "of": "a Japanese edition of it" asks about the earlier thing; a store term
  // after a subject or "to" and just before it is a verb taking it as object: "can I preorder it") or a noun
  // with a determiner ("my order", "a book"; "can I order it" has a verb). "back to the book"
  // returns to an earlier thing.
  const returnAt = (j: number) => RETURN_CUES.some((c) => c.every((x, k) => w[j - c.length + k] === x));
  const determinedAt = (j: number) => ANTECEDENT_DETERMINERS.has(w[j] ?? '') && !returnAt(j);
  const antecedentAt = (j: number) => (ANTECEDENT_NOUNS.has(w[j]) || itemNouns.antecedent.has(w[j])) && (determinedAt(j - 1) || determinedAt(j - 2));
  // The first word that names a thing with its determiner (w.length: none), found once: a pronoun
  // after it is bound (this runs for every word of every message, so no slice or closure per word).
  let firstAntecedent = -1;
  const boundBefore = (i: number) => {
    if (a.spans.some((s) => s.end <= i && !NOT_THINGS.has(s.kind) && !(PRODUCT_SLOTS.includes(s.kind) && w[i - 1] === 'of') && !(s.kind === 'term' && s.end === i && VERB_SUBJECTS.has(w[s.start - 1] ?? '')))) return true;
    if (firstAntecedent < 0) for (firstAntecedent = 0; firstAntecedent < w.length && !antecedentAt(firstAntecedent); firstAntecedent++);
    // "the tracking number for it", "the price of it": the noun just before is what the pronoun completes, not what it means.
    if (firstAntecedent === i - 2 && COMPLEMENT_PREPOSITIONS.has(w[i - 1])) return false;
    return firstAntecedent < i;
  };
  for (let i = 0; i < w.length; i++) {
    if (covered[i]) continue;
    const x = w[i];
    if (x !== PLACE_PRONOUN && x !== 'one' && x !== 'ones' && boundBefore(i)) continue;
    if (x === 'it' || x === 'its') {
      const next = w[i + 1] === 's' || w[i + 1] === 'is' ? w[i + 2] : w[i + 1];
      // "is it ok to…" is a dummy subject; "is it ok for a 12 year old?" asks about the thing.
      const at = w.indexOf(next ?? '', i + 1);
      const dummy = DUMMY_IT_NEXT.has(next ?? '') && !(w[at + 1] === 'for' && !w.slice(at + 2).includes('to'));
      if (!dummy) productAt.add(i);
    } else if (x === 'the' && itemNouns.demonstrative.has(w[i + 1] ?? '') && QUESTION_STARTS.has(w[i - 1] ?? '')) {
      // "is the book hardcover?", "does the series have an ebook": the domain's thing in talk, asked about
      productAt.add(i);
    } else if (x === 'that' || x === 'this') {
      if (i === w.length - 1 || demonstrativeNoun(w[i + 1]) || DEMONSTRATIVE_BEFORE.has(w[i - 1])) productAt.add(i);
    } else if (PRODUCT_PRONOUNS.has(x)) {
      productAt.add(i);
    } else if ((x === 'one' || x === 'ones') && i > 0 && (ONE_DETERMINERS.has(w[i - 1]) || a.spans.some((s) => s.end === i && PRODUCT_SLOTS.includes(s.kind)))) {
      // "that one" is one pronoun, replaced once
      if (!productAt.has(i - 1)) productAt.add(i);
    } else if (x === PLACE_PRONOUN && !THERE_EXISTENTIAL_BEFORE.has(w[i - 1] ?? '') && !THERE_EXISTENTIAL_AFTER.has(w[i + 1] ?? '')) {
      placeAt.add(i);
    }
  }
  // "how long would it take to get there": "it" of "take" is a dummy subject when the message points at a place.
  // So is "it"/"that" of "take" in a fragment ("how long does that take"): a title takes no time, the last question's delivery does.
  for (const i of productAt) if ((w[i] === 'it' || w[i] === 'that') && (placeAt.size > 0 ? TAKE_VERBS.has(w[i + 1] ?? '') : w[0] === 'how' && w[i + 1]?.startsWith('take'))) productAt.delete(i);
  const anchored = kinds.has('product') || kinds.has('order');
  // "it" in a longer message that names its own place points inside it ("I'm in Brazil, do you
  // ship there and how long would it take?"); in a short one it still points back ("ship it to Japan?").
  const productPronoun = productAt.size > 0 && !anchored && (!kinds.has('place') || w.length <= 6);
  const placePronoun = placeAt.size > 0 && !kinds.has('place');
  const leftover = w.filter((x, i) => !covered[i] && i >= openerLength && !ELLIPSIS_FILLERS.has(x) && !productAt.has(i));
  const entitiesOnly = (a.spans.length > 0 || productAt.size > 0) && leftover.length === 0;
  const short = w.length <= 6;
  // A volume always belongs to a series; an edition, format or language only in an elliptical
  // message ("in Japanese?", "the hardcover one") — "do you sell ebooks?" is a question of its own.
  const slotOnly = !anchored && a.spans.some((s) => PRODUCT_SLOTS.includes(s.kind));
  // "is there an ebook?" / "do you have a box set?": one edition or format of the thing in talk
  // ("do you sell ebooks?", plural, stays a question of its own).
  const ask = EXISTENTIAL_ASKS.find((c) => c.every((x, k) => w[lead + k] === x));
  const askedAt = ask ? lead + ask.length : -1;
  const existentialSlot =
    askedAt >= 0 && SLOT_DETERMINERS.has(w[askedAt]) && a.spans.some((s) => PRODUCT_SLOTS.includes(s.kind) && s.start > askedAt && s.start <= askedAt + 2);
  const dependentSlot = !anchored && (kinds.has('volume') || (slotOnly && (entitiesOnly || !!opener || existentialSlot)));
  // A fragment is all question words: "how much is shipping?", "when?"; "how is shipping
  // calculated?" or "which carrier do you use?" bring a topic of their own.
  // So is a short question of what shoppers ask of a product, said of none ("author pls", "whats the age rating").
  const asks = itemNouns.asks ?? NO_ASKS;
  const askWord = (i: number) => asks.some((c) => c.some((x, k) => x === w[i] && phraseAt(w.slice(i - k, i - k + c.length), c, NONE_COVERED)));
  const fragment =
    w.length <= 8 &&
    !anchored &&
    !kinds.has('place') &&
    (FRAGMENT_CUES.some((c) => phraseAt(w, c, covered)) || asks.some((c) => phraseAt(w, c, covered))) &&
    w.every((x, i) => i < lead || covered[i] || FRAGMENT_WORDS.has(x) || askWord(i));
  // "whats express?", "how about ups": a wh-word and a store term, nothing else, asks the last question of that term.
  // So does a short question of a term and question words only ("ok what's the fastest then", "is there a quicker option").
  // So does an opener and a choice of a term ("what if i pay for the fast one").
  const termsOnly = !anchored && a.spans.length > 0 && a.spans.every((s) => s.kind === 'term') && leftover.length > 0;
  const termAsk =
    termsOnly &&
    ((short && leftover.every((x) => WH_WORDS.has(x) || WH_TAILS.has(x) || FRAGMENT_WORDS.has(x) || x === 'option' || x === 'options' || x === 'there')) ||
      (!!opener && leftover.every((x) => CHOICE_WORDS.has(x))));
  const frame = (!!opener && !ownPredicate) || entitiesOnly || termAsk;
  const followUp = frame || productPronoun || placePronoun || dependentSlot || fragment;
  return { followUp, frame, productPronoun, placePronoun, dependentSlot, termAsk, pronounAt: new Set([...(productPronoun ? productAt : []), ...(placePronoun ? placeAt : [])]), openerLength };
}


/**
 * The message's words with a cue word typed with two letters swapped read as that word ("whats
 * the age raitng", "is it in stcok"): a word of 5+ letters no entity covers and no fragment word,
 * a swap away from a cue (FRAGMENT_CUES, the domain's asks; not the fillers: "three" is not "there").
 * The analysis itself is left as it is.
 */
function withCueSlips(a: MessageAnalysis, asks: readonly string[][]): readonly string[] {
  const covered = new Set<number>();
  for (const s of a.spans) for (let i = s.start; i < s.end; i++) covered.add(i);
  let out: string[] | undefined;
  a.words.forEach((x, i) => {
    if (covered.has(i) || x.length < 5 || FRAGMENT_WORDS.has(x)) return;
    const fix = cueVocabulary(asks).find((c) => c.length === x.length && c[0] === x[0] && c !== x && withinOneEdit(x, c) && sorted(c) === sorted(x));
    if (fix) (out ??= [...a.words])[i] = fix;
  });
  return out ?? a.words;
}

const sorted = (x: string) => [...x].sort().join('');
let vocabulary: { asks: readonly string[][]; words: string[] } | undefined;
/** The words of FRAGMENT_CUES and of the domain's asks, 5 letters or more (built once per asks list). */
function cueVocabulary(asks: readonly string[][]): string[] {
  if (vocabulary?.asks !== asks) vocabulary = { asks, words: [...new Set([...FRAGMENT_CUES.flat(), ...asks.flat()])].filter((x) => x.length >= 5) };
  return vocabulary.words;
}

/** Whether `phrase` stands somewhere in `w` on words no entity covers (a loop: it runs on every short message). */
function phraseAt(w: readonly string[], phrase: readonly string[], covered: readonly boolean[]): boolean {
  for (let i = 0; i + phrase.length <= w.length; i++) {
    let j = 0;
    while (j < phrase.length && w[i + j] === phrase[j] && !covered[i + j]) j++;
    if (j === phrase.length) return true;
  }
  return false;
}
