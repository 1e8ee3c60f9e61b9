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

/**
 * A title's series: the text before a comma, colon, parenthesis, "vol."/"volume", a count ("3-in-1")
 * or number, or one of the domain's `endWords` (conversation.json `seriesEndWords`: "deluxe",
 * "omnibus"): "One Piece, Vol. 1: Romance Dawn" → "one piece"; "Berserk Deluxe Edition 1" → "berserk";
 * a title that is only a number stays whole ("1984").
 */
export function seriesName(title: string, endWords: readonly string[] = []): string {
  // A title that is only a number ("1984") is its own series name: there is nothing else to name it by.
  if (/^\s*\d+\s*$/.test(title)) return title.trim();
  const words = endWords.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "'?")).join('|');
  return title
    .split(/[,:(]| vol\.? | volume /i)[0]
    .replace(new RegExp(`\\b(${words ? `${words}|` : ''}\\d+-in-\\d+|\\d+)\\b.*$`, 'i'), '')
    .trim()
    .toLowerCase();
}

/** What conversation.json says about the domain's titles and things (both optional). */
export interface TitleWords {
  itemNouns?: { demonstrative?: readonly string[]; antecedent?: readonly string[] };
  seriesEndWords?: readonly string[];
}

const FUNCTION_WORDS = ['the', 'a', 'an', 'of', 'and', 'my', 'your', 'our', 'this', 'that', 'in', 'on', 'to', 'for', 'with'];

/** `entities`: entities.json's phrases by kind; `words`: conversation.json (its item nouns, both roles, and series end words). */
export function storeGazetteer(entities: Gazetteer, catalog: CatalogTitle[], words: TitleWords = {}): Gazetteer {
  const nouns = words.itemNouns ?? {};
  const stop = new Set([...FUNCTION_WORDS, ...(nouns.demonstrative ?? []), ...(nouns.antecedent ?? [])]);
  const product: Record<string, string[]> = { ...entities.product };
  for (const t of catalog) {
    const s = seriesName(t.title, words.seriesEndWords);
    if (s.length >= 3 && !s.split(/\s+/).every((w) => stop.has(w))) product[s] = [s];
  }
  return { ...entities, term: entities.term ?? {}, product };
}
