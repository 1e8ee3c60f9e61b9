/**
 * The store knowledge base's shapes and the parsing of its files once read: catalog rows, FAQ
 * entries and the sections of policies.md. No I/O: each tier reads the files its own way.
 */
import type { FaqEntry } from '../answers/template-answers.ts';

export type { FaqEntry };

export interface CatalogItem {
  id: string;
  title: string;
  author: string;
  /** One of the pack's item types (domain.json catalog.types). */
  type: string;
  genre: string[];
  volume: number | null;
  format: string;
  language: string;
  ageRating: string;
  price: number;
  stock: number;
  preorder: boolean;
  releaseDate?: string;
  description: string;
}

/** How a pack's catalog values read (domain.json `catalog`): an item type's label, a price in the catalog's currency. */
export interface CatalogText {
  typeLabel(type: string): string;
  price(amount: number): string;
  /** A YYYY-MM-DD date written out in the pack's locale ("September 1, 2026" in en-US). */
  date(iso: string): string;
}

/**
 * The catalog words of a pack: its types' labels (a type it does not label reads as itself) and
 * its prices as `locale` writes `currency` (default USD: "$12.99" in en-US).
 */
export function catalogTextOf(domain: { locale: string; catalog?: { types: Record<string, string>; currency?: string } }): CatalogText {
  const money = new Intl.NumberFormat(domain.locale, { style: 'currency', currency: domain.catalog?.currency ?? 'USD' });
  const day = new Intl.DateTimeFormat(domain.locale, { dateStyle: 'long', timeZone: 'UTC' });
  const labels = domain.catalog?.types ?? {};
  return { typeLabel: (type) => labels[type] ?? type, price: (amount) => money.format(amount), date: (iso) => day.format(new Date(`${iso}T00:00:00Z`)) };
}

/** One heading of policies.md and what stands under it up to the next `#` or `##` heading. */
export interface PolicySection {
  /** 1: the `#` title and its preamble; 2: a `##` section, its `###` subsections included. */
  level: 1 | 2;
  /** The heading's text ("Returns & Refunds"). */
  heading: string;
  /** The section's lines as written, its heading line first. */
  lines: string[];
}

/** The README's slug rule for a policies.md heading: lowercase, each run of non-alphanumerics → "-", trim "-". */
export function slugify(heading: string): string {
  return heading
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

/** The `#` and `##` sections of a markdown text (headings inside ``` or ~~~ fences do not count; text before the first heading is dropped). */
export function policySectionsOf(markdown: string): PolicySection[] {
  const out: PolicySection[] = [];
  let current: PolicySection | undefined;
  let inFence = false;
  for (const line of markdown.replace(/\r\n?/g, '\n').split('\n')) {
    if (/^\s*(```|~~~)/.test(line)) inFence = !inFence;
    const h = inFence ? null : /^(#{1,2})\s+(.+?)\s*$/.exec(line);
    if (h) {
      current = { level: h[1].length as 1 | 2, heading: h[2], lines: [line] };
      out.push(current);
    } else current?.lines.push(line);
  }
  return out;
}
