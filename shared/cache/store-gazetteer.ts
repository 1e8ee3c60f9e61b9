/**
 * A domain's entity gazetteer with its catalog's series names as `product`s: entities.json's kinds
 * (terms, its own places) as they are, and each title's series unless it is only function words
 * and the domain's item nouns ("The Book" names no series).
 */
import type { Gazetteer } from './entities.ts';
import { isEverydayName } from './title-names.ts';

export interface CatalogTitle {
  id: string;
  title: string;
}

/**
 * A title's series: the text before a comma, a colon that ends a word, a parenthesis, a spaced dash, "vol."/"volume", a count ("3-in-1")
 * or number, or one of the domain's `endWords` (conversation.json `seriesEndWords`: "deluxe",
 * "omnibus"): "One Piece, Vol. 1: Romance Dawn" → "one piece"; "Berserk Deluxe Edition 1" → "berserk";
 * a title that is only a number stays whole ("1984"), and a number that is the name's stays in it
 * ("Kaiju No. 8, Vol. 1" → "kaiju no. 8", "Mob Psycho 100, Vol. 1" → "mob psycho 100").
 */
export function seriesName(title: string, endWords: readonly string[] = []): string {
  // A title that is only a number ("1984") is its own series name: there is nothing else to name it by.
  if (/^\s*\d+\s*$/.test(title)) return title.trim();
  const words = endWords.map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/'/g, "'?")).join('|');
  // A colon inside a word ("Re:ZERO") joins it; a spaced dash opens a subtitle ("Re:ZERO -Starting Life…").
  const head = title.split(/[,(]|:(?!\S)|:(?=\s)| -| vol\.? | volume /i)[0];
  // A number is the name's own, not a volume's, after "No." or "#" ("Kaiju No. 8"), or ending the
  // name when the title numbers its volume after it ("Mob Psycho 100, Vol. 1").
  const own = /\s(?:(?:no\.?|#)\s*)?\d+\s*$/i.exec(head);
  const named = own && (/(?:\bno\.?|#)\s*\d+\s*$/i.test(head) || /^\s*,?\s*(?:vol\.?|volume|book|part)\s*\d/i.test(title.slice(head.length)));
  const base = named ? head.slice(0, own.index) : head;
  const cut = base.replace(new RegExp(`\\b(${words ? `${words}|` : ''}\\d+-in-\\d+|\\d+)\\b.*$`, 'i'), '').trim().toLowerCase();
  const name = named && cut ? `${cut} ${own[0].trim().toLowerCase()}` : cut;
  // An end word that opens the title ("The Complete Maus") ends nothing: the title is the name.
  return /^(?:(?:the|a|an)\s*)?$/.test(name) ? head.trim().toLowerCase() : name;
}

/** What conversation.json says about the domain's titles and things (both optional). */
export interface TitleWords {
  itemNouns?: { demonstrative?: readonly string[]; antecedent?: readonly string[] };
  seriesEndWords?: readonly string[];
  /** The titles' everyday English words (title-names.ts). */
  everydayWords?: readonly string[];
}

const FUNCTION_WORDS = ['the', 'a', 'an', 'of', 'and', 'my', 'your', 'our', 'this', 'that', 'in', 'on', 'to', 'for', 'with'];

/**
 * The names shoppers give a title without its leading words: "the way of kings" → "way of kings"
 * (an article dropped when two words or more are left), "the complete maus" → "maus" (a leading
 * "the complete" of a collected edition), "harry potter and the sorcerer's stone" → "harry potter"
 * (a long title's name before "and the", two words or more).
 */
export function shortNames(series: string): string[] {
  const out: string[] = [];
  const w = series.split(/\s+/);
  if (w[0] === 'the' && w.length >= 3) out.push(w.slice(1).join(' '));
  if (w[0] === 'the' && w[1] === 'complete' && w.length >= 3 && w.slice(2).join(' ').length >= 4) out.push(w.slice(2).join(' '));
  const and = w.findIndex((x, i) => x === 'and' && w[i + 1] === 'the');
  if (and >= 2 && w.length >= 5) out.push(w.slice(0, and).join(' '));
  // A name with its own number is said without it too ("mob psycho", "kaiju"), when a word of 4+ letters is left.
  const numbered = /^(.*?)\s+(?:(?:no\.?|#)\s*)?\d+$/.exec(series);
  if (numbered && /\p{L}{4}/u.test(numbered[1])) out.push(numbered[1]);
  return out;
}

/** `entities`: entities.json's phrases by kind; `words`: conversation.json (its item nouns, both roles, and series end words). */
export function storeGazetteer(entities: Gazetteer, catalog: CatalogTitle[], words: TitleWords = {}): Gazetteer {
  const nouns = words.itemNouns ?? {};
  const stop = new Set([...FUNCTION_WORDS, ...(nouns.demonstrative ?? []), ...(nouns.antecedent ?? [])]);
  const everyday = new Set(words.everydayWords ?? []);
  const product: Record<string, string[]> = { ...entities.product };
  for (const t of catalog) {
    const s = seriesName(t.title, words.seriesEndWords);
    if (s.length >= 3 && !s.split(/\s+/).every((w) => stop.has(w))) product[s] = [...new Set([...(product[s] ?? [s]), ...shortNames(s), ...wholeTitle(t.title, s, everyday)])];
  }
  // A short name that is another series' own name stays that series' ("the sandman" / "sandman").
  for (const [s, phrases] of Object.entries(product)) product[s] = phrases.filter((p) => p === s || !(p in product));
  return { ...entities, term: entities.term ?? {}, product };
}

/**
 * A series named by one everyday word is said as a name when the whole title is said, so the
 * whole title is a name of it too ("Tomorrow, and Tomorrow, and Tomorrow"), when the title holds
 * no volume or number (those are read on their own: "March: Book One" is March's first book).
 */
export function wholeTitle(title: string, series: string, everyday: ReadonlySet<string>): string[] {
  const whole = title.split('(')[0].trim().toLowerCase();
  return whole !== series && isEverydayName(series.split(/\s+/), everyday) && !/\d|\b(?:vol|volume|book|part|no)\b/i.test(whole) ? [whole] : [];
}
