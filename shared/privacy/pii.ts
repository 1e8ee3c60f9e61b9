/**
 * Redacts PII (emails, phone numbers, payment card numbers) from text before it is logged, stored
 * or sent to an LLM. An ISBN is a book's, not a person's, and is kept (a store's shoppers ask by
 * it): a 13-digit 978/979 number with a valid check digit, or a 10-digit one with a valid check
 * digit right after the word "ISBN" (alone, a 10-digit number may as well be a phone number).
 */
const EMAIL = /[A-Z0-9._%+-]+@[A-Z0-9.-]+\.[A-Z]{2,}/gi;

/**
 * The first email address in `text`, as written (null: none). The same shape redactPii removes, so
 * whatever is read as an email here is never stored or logged as said (the order route's ownership
 * check: docs/orders.md).
 */
export function emailIn(text: string): string | null {
  return text.slice(0, 4000).match(EMAIL)?.[0] ?? null;
}

/** `text` with every email address blanked (a space each): what entities and ids are read from. */
export function withoutEmails(text: string): string {
  return text.replace(EMAIL, ' ');
}
const CARD = /\b(?:\d[ -]?){12,18}\d\b/g;
const PHONE = /(?:\+?\d{1,3}[\s.-]?)?(?:\(\d{2,4}\)|\d{2,4})[\s.-]?\d{3,4}[\s.-]?\d{3,4}\b/g;

function luhn(digits: string): boolean {
  let sum = 0;
  let alt = false;
  for (let i = digits.length - 1; i >= 0; i--) {
    let d = digits.charCodeAt(i) - 48;
    if (alt) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
    alt = !alt;
  }
  return sum % 10 === 0;
}

/** `digits` (no separators) is an ISBN-13 with the 978/979 prefix, or an ISBN-10; check digit verified. */
function isIsbn(digits: string): boolean {
  if (/^97[89]\d{10}$/.test(digits)) {
    let sum = 0;
    for (let i = 0; i < 13; i++) sum += (digits.charCodeAt(i) - 48) * (i % 2 ? 3 : 1);
    return sum % 10 === 0;
  }
  if (/^\d{9}[\dX]$/i.test(digits)) {
    let sum = 0;
    for (let i = 0; i < 10; i++) sum += (i === 9 && /x/i.test(digits[9]!) ? 10 : digits.charCodeAt(i) - 48) * (10 - i);
    return sum % 11 === 0;
  }
  return false;
}

/** Digit runs (hyphens allowed) that may be ISBNs; a valid one is set aside while the rest is redacted. */
const ISBN_LIKE = /\b\d[\d-]{8,16}[\dXx]\b/g;
const ISBN_WORD = /isbn(?:-?1[03])?:?\s*$/i;
const SET_ASIDE = '\uE000';

function keptIsbn(m: string, at: number, text: string): boolean {
  const digits = m.replace(/-/g, '');
  return isIsbn(digits) && (digits.length === 13 || ISBN_WORD.test(text.slice(Math.max(0, at - 12), at)));
}

export function redactPii(text: string): string {
  // ISBNs are set aside as one private-use character each and put back in order after redaction.
  const kept: string[] = [];
  const spared = text.includes(SET_ASIDE) ? text : text.replace(ISBN_LIKE, (m, at: number) => (keptIsbn(m, at, text) ? (kept.push(m), SET_ASIDE) : m));
  let n = 0;
  const redacted = spared
    .replace(EMAIL, '[email]')
    .replace(CARD, (m) => {
      const digits = m.replace(/\D/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? '[card]' : m;
    })
    .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[phone]' : m));
  return kept.length ? redacted.replace(/\uE000/g, () => kept[n++]!) : redacted;
}
