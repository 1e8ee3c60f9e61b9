/**
 * A domain's entity gazetteer with its catalog's series names as `product`s: entities.json's kinds
 * (terms, its own places) as they are, and each title's series unless it is only function words
 * and the domain's item nouns ("The Book" names no series).
 */
import type { Gazetteer } from './entities.ts';

export interface CatalogTitle {
  id: string;
  title: string;
}

/** "One Piece, Vol. 1: Romance Dawn" → "one piece"; "Berserk Deluxe Edition 1" → "berserk". */
export function seriesName(title: string): string {
  return title
    .split(/[,:(]| vol\.? | volume /i)[0]
    .replace(/\b(deluxe|omnibus|box set|complete|collector'?s|edition|\d+-in-\d+|\d+)\b.*$/i, '')
    .trim()
    .toLowerCase();
}

const FUNCTION_WORDS = ['the', 'a', 'an', 'of', 'and', 'my', 'your', 'our', 'this', 'that', 'in', 'on', 'to', 'for', 'with'];

/** `entities`: entities.json's phrases by kind; `itemNouns`: conversation.json's (both roles). */
export function storeGazetteer(entities: Gazetteer, catalog: CatalogTitle[], itemNouns: { demonstrative?: readonly string[]; antecedent?: readonly string[] } = {}): Gazetteer {
  const stop = new Set([...FUNCTION_WORDS, ...(itemNouns.demonstrative ?? []), ...(itemNouns.antecedent ?? [])]);
  const product: Record<string, string[]> = { ...entities.product };
  for (const t of catalog) {
    const s = seriesName(t.title);
    if (s.length >= 3 && !s.split(/\s+/).every((w) => stop.has(w))) product[s] = [s];
  }
  return { ...entities, term: entities.term ?? {}, product };
}
