/**
 * The store knowledge base as passages, the units retrieval indexes and the reranker scores: one
 * per catalog title (every field, in a fixed order), per `##` section of policies.md, per FAQ
 * entry. Pure: the callers read the files.
 */
import { slugify, type CatalogItem, type CatalogText, type FaqEntry, type PolicySection } from './store-kb.ts';

export interface Passage {
  id: string;
  text: string;
}

/** One passage per `##` section of policies.md, id `policies#<slug>`, text = heading + body. */
export function policyPassages(sections: readonly PolicySection[]): Passage[] {
  return sections.filter((s) => s.level === 2).map((s) => ({ id: `policies#${slugify(s.heading)}`, text: [s.heading, ...s.lines.slice(1)].join('\n').trim() }));
}

/** Without the pack's catalog words, prices read as US dollars (the default currency of domain.json `catalog`). */
const usd = (x: number) => `$${x.toFixed(2)}`;

/** The text a catalog title is indexed and reranked by: every field, in a fixed order (its type id read as words, its price in the pack's currency). */
export function catalogPassage(c: CatalogItem, price: (amount: number) => string = usd): string {
  const availability = c.preorder
    ? `Preorder, releases ${c.releaseDate ?? 'soon'}.`
    : c.stock > 0
      ? `In stock (${c.stock}).`
      : 'Out of stock.';
  return [
    `${c.title} by ${c.author}.`,
    `${c.type.replace('_', ' ')}; ${c.genre.join(', ')}.`,
    `${c.volume !== null ? `Volume ${c.volume}, ` : ''}${c.format}, ${c.language}. Age rating: ${c.ageRating}.`,
    `Price ${price(c.price)}. ${availability}`,
    c.description,
  ].join(' ');
}

/** The store knowledge base: catalog titles (`KB-SKU-xxxx`), policy sections, FAQ entries. */
export function kbPassages(catalog: readonly CatalogItem[], policies: readonly PolicySection[], faq: readonly FaqEntry[], words?: CatalogText): Passage[] {
  return [
    ...catalog.map((c) => ({ id: c.id, text: catalogPassage(c, words?.price) })),
    ...policyPassages(policies),
    ...faq.map((f) => ({ id: f.id, text: `${f.question} ${f.answer}` })),
  ];
}
