/**
 * Fact matching for the golden answer set: an answer "contains" a fact when the fact's words
 * appear in it as a whole, after both are brought to one written form — prices as `$12.00`
 * ("$12", "12 USD", "USD 12.00"), ranges as `10-20` ("10–20", "10 to 20"), dates as ISO
 * ("July 7, 2026", "7 Jul 2026"), thousands without commas, arrows and dashes as one hyphen, case
 * and punctuation ignored. It refuses partial tokens: "$4.99" is not inside "$14.99", "Teen"
 * is not inside "Teenage".
 */

const MONTHS = ['january', 'february', 'march', 'april', 'may', 'june', 'july', 'august', 'september', 'october', 'november', 'december'];
const MONTH = '(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\\.?';
const monthNumber = (m: string) => MONTHS.findIndex((x) => x.startsWith(m.slice(0, 3).toLowerCase())) + 1;
const iso = (y: string, m: number, d: string) => `${y}-${String(m).padStart(2, '0')}-${d.padStart(2, '0')}`;

/** One written form for matching (see the header). */
export function normalizeFacts(text: string): string {
  let s = text.normalize('NFKC').toLowerCase();
  s = s.replace(/[\u2010-\u2015\u2212]/g, '-').replace(/→|->/g, ' > ').replace(/[’‘]/g, "'");
  // Dates: "July 7, 2026", "Jul 7th 2026", "7 July 2026" → 2026-07-07.
  s = s.replace(new RegExp(`\\b${MONTH}\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'g'), (_, m, d, y) => iso(y, monthNumber(m), d));
  s = s.replace(new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?\\s+${MONTH},?\\s+(\\d{4})\\b`, 'g'), (_, d, m, y) => iso(y, monthNumber(m), d));
  // Thousands separators, then prices.
  s = s.replace(/(\d),(?=\d{3}\b)/g, '$1');
  s = s.replace(/\busd\s*\$?\s*(\d+(?:\.\d+)?)/g, '$$$1').replace(/(?<![\d$.])\$?(\d+(?:\.\d+)?)\s*(?:usd|us dollars|dollars)\b/g, '$$$1');
  s = s.replace(/\$\s?(\d+(?:\.\d+)?)/g, (_, n) => `$${Number(n).toFixed(2)}`);
  // Ranges: "10 to 20", "10 - 20", "$10-$500" keep their sides; "10–20" became "10-20" above.
  s = s.replace(/(\d)\s*(?:-|to)\s*(?=\$?\d)/g, '$1-');
  return s.replace(/[^\p{L}\p{N}$.\-@+%>]+/gu, ' ').replace(/(?<!\d)\.|\.(?!\d)/g, ' ').replace(/\s+/g, ' ').trim();
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether `normalizedAnswer` (from normalizeFacts) holds the fact as whole tokens. */
export function containsFact(normalizedAnswer: string, fact: string): boolean {
  const f = normalizeFacts(fact);
  if (!f) return false;
  return new RegExp(`(?<![\\p{L}\\p{N}.])${escape(f)}(?![\\p{L}\\p{N}]|\\.\\d)`, 'u').test(normalizedAnswer);
}

/** A fact is one string or a list of acceptable wordings; returns the wording found, if any. */
export function findFact(normalizedAnswer: string, fact: string | string[]): string | null {
  for (const f of Array.isArray(fact) ? fact : [fact]) if (containsFact(normalizedAnswer, f)) return f;
  return null;
}

/** Every price the text states, as `12.00`. */
export function pricesIn(text: string): string[] {
  return [...normalizeFacts(text).matchAll(/\$(\d+\.\d{2})/g)].map((m) => m[1]);
}
