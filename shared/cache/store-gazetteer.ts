/** Builds an entity gazetteer from a store's domain terms and its catalog's series names. */
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

const STOPWORDS = new Set(['the', 'a', 'an', 'of', 'and', 'my', 'your', 'our', 'this', 'that', 'in', 'on', 'to', 'for', 'with', 'book', 'books', 'manga']);

export function storeGazetteer(terms: Record<string, string[]>, catalog: CatalogTitle[]): Gazetteer {
  const product: Record<string, string[]> = {};
  for (const t of catalog) {
    const s = seriesName(t.title);
    if (s.length >= 3 && !s.split(/\s+/).every((w) => STOPWORDS.has(w))) product[s] = [s];
  }
  return { term: terms, product };
}
