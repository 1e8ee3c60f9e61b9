/**
 * Output guardrails: every price, product title, id and URL in an answer must appear in the
 * retrieved context or the user's message. Ids are the domain's (entities.json `patterns`: an
 * order number, a SKU, a card's last digits): one the answer states must be, by its canonical
 * value, among the grounding's. A sentence that states an ungrounded one is removed; when nothing
 * grounded is left, the caller falls back.
 */
import { idsIn, type EntityPattern } from '../../../shared/cache/entities.ts';

export interface GuardrailResult {
  text: string;
  removed: { sentence: string; reason: string }[];
  /** True when the answer had to be cut to nothing (or almost nothing). */
  emptied: boolean;
}

/** A price: any currency sign before the amount ("$12.99", "£5", "€1,200"), or an amount with a currency word after it. No pack's currency is assumed. */
const PRICE = /\p{Sc}\s?\d{1,3}(?:,\d{3})*(?:\.\d{2})?|\b\d+(?:\.\d{2})\s?(?:usd|dollars|eur|euros|gbp|pounds)\b/giu;
const URL_RE = /\bhttps?:\/\/[^\s)>\]]+|\bwww\.[^\s)>\]]+|\b[a-z0-9-]+\.(?:example|com|org|net|io)(?:\/[^\s)>\]]*)?/gi;

function normPrice(p: string): string {
  const n = Number(p.replace(/[^0-9.]/g, ''));
  return Number.isFinite(n) ? n.toFixed(2) : p;
}

function normUrl(u: string): string {
  return u.toLowerCase().replace(/^https?:\/\//, '').replace(/^www\./, '').replace(/[.,;:!?]+$/, '').replace(/\/$/, '');
}

const ABBREVIATION = /\b(?:vol|vols|no|nos|vs|e\.g|i\.e|mr|mrs|ms|dr|st|approx|etc|inc|ltd|jr|sr|pt|ed|eds)$/i;

/** A name's initial ("Monkey D. Luffy", "J. R. R. Tolkien"): a lone capital letter. */
const INITIAL = /(?:^|[\s(])\p{Lu}$/u;

/** Sentences with their trailing space kept (joined, they give back the text); "Vol. 3" and "Monkey D. Luffy" do not end one. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const re = /[.!?]+(?=\s|$)\s*|\n+/g;
  for (const m of text.matchAll(re)) {
    const end = m.index + m[0].length;
    const before = text.slice(start, m.index);
    if (m[0][0] === '.' && m[0].trim() === '.' && (ABBREVIATION.test(before) || INITIAL.test(before))) continue;
    out.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) out.push(text.slice(start));
  return out.filter((s) => s.length > 0);
}

/**
 * @param titles known product titles (catalog); a title named in the answer must be in the grounding text.
 * @param ids the domain's id shapes (entities.json `patterns`); an id named in the answer must be in the grounding.
 */
export function checkGrounding(answer: string, grounding: string, titles: string[] = [], ids: readonly EntityPattern[] = []): GuardrailResult {
  const g = grounding.toLowerCase();
  const prices = new Set([...grounding.matchAll(PRICE)].map((m) => normPrice(m[0])));
  const urls = [...grounding.matchAll(URL_RE)].map((m) => normUrl(m[0]));
  const known: Known = { ids, idValues: new Set(idsIn(grounding, ids).map((i) => `${i.kind}:${i.value}`)) };
  const removed: GuardrailResult['removed'] = [];
  const kept: string[] = [];
  for (const sentence of splitSentences(answer)) {
    const reason = ungrounded(sentence, g, prices, urls, titles, known);
    if (reason) removed.push({ sentence: sentence.trim(), reason });
    else kept.push(sentence);
  }
  const text = kept.join('').trim();
  return { text, removed, emptied: text.replace(/\W/g, '').length < 12 };
}

/** The domain's id shapes and the ids the grounding holds ("kind:value"). */
interface Known {
  ids: readonly EntityPattern[];
  idValues: Set<string>;
}

function ungrounded(sentence: string, g: string, prices: Set<string>, urls: string[], titles: string[], known: Known): string | null {
  for (const m of sentence.matchAll(PRICE)) if (!prices.has(normPrice(m[0]))) return `price ${m[0].trim()} is not in the context`;
  for (const id of idsIn(sentence, known.ids)) {
    if (!known.idValues.has(`${id.kind}:${id.value}`) && !g.includes(id.match.toLowerCase())) return `${id.kind} id ${id.match.trim()} is not in the context`;
  }
  for (const m of sentence.matchAll(URL_RE)) {
    const u = normUrl(m[0]);
    if (!urls.some((x) => x === u || x.startsWith(u) || u.startsWith(x))) return `URL ${m[0]} is not in the context`;
  }
  const s = sentence.toLowerCase();
  for (const t of titles) {
    const tl = t.toLowerCase();
    if (tl.length >= 8 && s.includes(tl) && !g.includes(tl)) return `title "${t}" is not in the context`;
  }
  return null;
}

/** Words a generator's own closing note holds: such a sentence is a note, not a claim. */
export const GENERATOR_NOTE = 'no AI model was used';

const STOP_WORDS = new Set(
  'a an the and or but if of to in on at for with by from is are was were be been it its this that these those you your we our us i my me can could will would do does did not no yes as so any all there their they them than then about into up out over also just only per each has have had which what when where who how'.split(' '),
);
const numbersOf = (s: string) => (s.replace(/(\d),(?=\d{3}\b)/g, '$1').match(/\d+(?:\.\d+)?/g) ?? []).map((n) => String(Number(n)));
const wordsOf = (s: string) => (s.toLowerCase().normalize('NFKD').match(/\p{L}{3,}/gu) ?? []).filter((w) => !STOP_WORDS.has(w));

/**
 * Whether the grounding text supports a sentence: every number in it appears in the grounding,
 * and so do at least half of its content words. Stricter than checkGrounding (which looks at
 * prices, ids, URLs and titles only), looser than an entailment model: a paraphrase that keeps
 * the facts' words passes, a sentence about something else does not.
 */
export function sentenceSupported(sentence: string, grounding: string): boolean {
  const nums = new Set(numbersOf(grounding));
  if (!numbersOf(sentence).every((n) => nums.has(n))) return false;
  const words = wordsOf(sentence);
  if (!words.length) return true;
  const have = new Set(wordsOf(grounding));
  return words.filter((w) => have.has(w)).length * 2 >= words.length;
}

/** True when every sentence of the answer (a generator's note aside) passes checkGrounding and sentenceSupported. */
export function answerGrounded(answer: string, grounding: string, titles: string[] = [], ids: readonly EntityPattern[] = []): boolean {
  if (checkGrounding(answer, grounding, titles, ids).removed.length) return false;
  return splitSentences(answer)
    .filter((s) => /\p{L}/u.test(s) && !s.includes(GENERATOR_NOTE))
    .every((s) => sentenceSupported(s, grounding));
}
