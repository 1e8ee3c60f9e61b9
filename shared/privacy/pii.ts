/** Redacts PII (emails, phone numbers, payment card numbers) from text before it is logged. */
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

export function redactPii(text: string): string {
  return text
    .replace(EMAIL, '[email]')
    .replace(CARD, (m) => {
      const digits = m.replace(/\D/g, '');
      return digits.length >= 13 && digits.length <= 19 && luhn(digits) ? '[card]' : m;
    })
    .replace(PHONE, (m) => (m.replace(/\D/g, '').length >= 7 ? '[phone]' : m));
}
