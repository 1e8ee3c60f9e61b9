/**
 * Output guardrails: every price, product title, order id and URL in an answer must appear in
 * the retrieved context or the user's message. A sentence that states an ungrounded one is
 * removed; when nothing grounded is left, the caller falls back.
 */
export interface GuardrailResult {
  text: string;
  removed: { sentence: string; reason: string }[];
  /** True when the answer had to be cut to nothing (or almost nothing). */
  emptied: boolean;
}

const PRICE = /\$\s?\d{1,3}(?:,\d{3})*(?:\.\d{2})?|\b\d+(?:\.\d{2})\s?(?:usd|dollars)\b/gi;
const ORDER_ID = /\bKB-\d{5}\b/gi;
const SKU = /\bKB-SKU-\d{4}\b/gi;
const URL_RE = /\bhttps?:\/\/[^\s)>\]]+|\bwww\.[^\s)>\]]+|\b[a-z0-9-]+\.(?:example|com|org|net|io)(?:\/[^\s)>\]]*)?/gi;

function normPrice(p: string): string {
  const n = Number(p.replace(/[^0-9.]/g, ''));
  return Number.isFinite(n) ? n.toFixed(2) : p;
}

function normUrl(u: string): string {
  return u.toLowerCase().replace(/^https?:\/\//, '').replace(/^www\./, '').replace(/[.,;:!?]+$/, '').replace(/\/$/, '');
}

const ABBREVIATION = /\b(?:vol|vols|no|nos|vs|e\.g|i\.e|mr|mrs|ms|dr|st|approx|etc|inc|ltd|jr|sr|pt|ed|eds)$/i;

/** Sentences with their trailing space kept (joined, they give back the text); "Vol. 3" does not end one. */
export function splitSentences(text: string): string[] {
  const out: string[] = [];
  let start = 0;
  const re = /[.!?]+(?=\s|$)\s*|\n+/g;
  for (const m of text.matchAll(re)) {
    const end = m.index + m[0].length;
    const before = text.slice(start, m.index);
    if (m[0][0] === '.' && m[0].trim() === '.' && ABBREVIATION.test(before)) continue;
    out.push(text.slice(start, end));
    start = end;
  }
  if (start < text.length) out.push(text.slice(start));
  return out.filter((s) => s.length > 0);
}

/**
 * @param titles known product titles (catalog); a title named in the answer must be in the grounding text.
 */
export function checkGrounding(answer: string, grounding: string, titles: string[] = []): GuardrailResult {
  const g = grounding.toLowerCase();
  const prices = new Set([...grounding.matchAll(PRICE)].map((m) => normPrice(m[0])));
  const urls = [...grounding.matchAll(URL_RE)].map((m) => normUrl(m[0]));
  const removed: GuardrailResult['removed'] = [];
  const kept: string[] = [];
  for (const sentence of splitSentences(answer)) {
    const reason = ungrounded(sentence, g, prices, urls, titles);
    if (reason) removed.push({ sentence: sentence.trim(), reason });
    else kept.push(sentence);
  }
  const text = kept.join('').trim();
  return { text, removed, emptied: text.replace(/\W/g, '').length < 12 };
}

function ungrounded(sentence: string, g: string, prices: Set<string>, urls: string[], titles: string[]): string | null {
  for (const m of sentence.matchAll(PRICE)) if (!prices.has(normPrice(m[0]))) return `price ${m[0].trim()} is not in the context`;
  for (const m of sentence.matchAll(ORDER_ID)) if (!g.includes(m[0].toLowerCase())) return `order id ${m[0]} is not in the context`;
  for (const m of sentence.matchAll(SKU)) if (!g.includes(m[0].toLowerCase())) return `product id ${m[0]} is not in the context`;
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
