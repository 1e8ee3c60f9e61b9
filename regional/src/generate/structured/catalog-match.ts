/**
 * Finds the catalog title a question is about: every title scores by the words of it the
 * question holds (rarer words weigh more), loses for edition words the question does not ask
 * for (so "One Piece volume 1" is the plain volume, not the Japanese edition), wins for those it
 * names (over title words an earlier turn left in the question), and wins or loses
 * by its volume number ("vol 3", "book 5", "the first", "berserk deluxe 2"), and wins or loses by
 * its format when the question names one its series comes in but its title does not say ("Dune
 * in hardcover" is Dune's deluxe edition, the hardcover one). A title must share
 * its first distinctive word with the question. Ties go to the first volume. Pure, data-driven:
 * the titles and edition words come from the store's files.
 */
import type { CatalogItem } from '../../../../shared/domain/store-kb.ts';
import { seriesName, shortNames, wholeTitle } from '../../../../shared/cache/store-gazetteer.ts';
import { isEverydayName, saidAsName } from '../../../../shared/cache/title-names.ts';
import { normalize, tokens } from './text.ts';

interface IndexedItem {
  item: CatalogItem;
  words: string[];
  anchor: string;
  editions: Set<string>;
  /** Its words that identify it: not everyday English, not a number ("frieren", "sorcerer"; none of "The Last Wish"). */
  distinctive: string[];
  /** The names it goes by, normalized (its series name and short names: "the last wish", "last wish"). */
  names: string[];
  /** The words of its series' name ("frieren" of "Frieren: Beyond Journey's End, Vol. 1"). */
  series: string[];
}

export interface CatalogMatch {
  item: CatalogItem;
  score: number;
}

/** "volume one" … "volume twelve". */
const CARDINALS = ['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine', 'ten', 'eleven', 'twelve'];
const WORDED_VOLUME = new RegExp(`\\b(vol|volume|book|part)\\s+(${CARDINALS.join('|')})\\b`, 'gi');
/** The same, for one match (no `g`: a shared global regex keeps its lastIndex between calls). */
const WORDED_VOLUME_ONCE = new RegExp(WORDED_VOLUME.source, 'i');
const ORDINALS: Record<string, number> = { first: 1, second: 2, third: 3, fourth: 4, fifth: 5, '1st': 1, '2nd': 2, '3rd': 3, '4th': 4, '5th': 5 };
/** What naming one of a title's edition words adds on top of the word's own weight. */
const EDITION_NAMED = 5;
const SKIP = new Set(['the', 'a', 'an', 'of', 'and', 'vol', 'volume', 'book', 'part', 'no', 'in', 'to', 'by', 'for', 'with', 'on', 'at', 'who', 'i', 'my']);

export class CatalogIndex {
  private readonly items: IndexedItem[];
  private readonly weight = new Map<string, number>();
  private readonly allWords = new Set<string>();
  /** The edition words of all titles sharing an anchor word (a series' editions). */
  private readonly editionsOf = new Map<string, Set<string>>();
  /** The edition words every title sharing an anchor word has (Berserk's are all "Deluxe Edition"). */
  private readonly inAllOf = new Map<string, Set<string>>();
  /** The formats of all titles sharing an anchor word, each as its words ("box set" → box, set). */
  private readonly formatsOf = new Map<string, Map<string, string[]>>();
  /** Edition and format words ("perfect", "deluxe", "hardcover"): after a title's name they say it is one. */
  private readonly slotWords: Set<string>;
  /** Series names with a number of their own (seriesName: "kaiju no 8"), as a pattern, and the name without it. */
  private readonly numberedNames: [RegExp, string][];

  /**
   * `everyday`: the titles' everyday English words (conversation.json `everydayWords`): a title is
   * matched by a word of it that is not one, or by one of its names said whole ("the last wish",
   * not "last week"), and a name of one everyday word only when said as a name (title-names.ts).
   */
  constructor(
    catalog: CatalogItem[],
    private readonly editionWords: Set<string>,
    private readonly everyday: ReadonlySet<string> = new Set(),
  ) {
    this.items = catalog.map((item) => {
      const words = [...new Set(tokens(item.title).filter((w) => !SKIP.has(w) && !(item.volume != null && w === String(item.volume))))];
      const anchor = words.find((w) => w.length >= 3 && !editionWords.has(w)) ?? words[0] ?? '';
      const distinctive = words.filter((w) => !everyday.has(w) && !editionWords.has(w) && !/^\d+$/.test(w));
      const name = seriesName(item.title, [...editionWords]);
      const names = [...new Set([name, ...shortNames(name), ...wholeTitle(item.title, name, everyday)].map(normalize).filter(Boolean))];
      const series = tokens(seriesName(item.title)).filter((w) => !SKIP.has(w));
      return { item, words, anchor, editions: new Set(words.filter((w) => editionWords.has(w))), distinctive, names, series };
    });
    for (const it of this.items) {
      const set = this.editionsOf.get(it.anchor) ?? new Set<string>();
      for (const w of it.editions) set.add(w);
      this.editionsOf.set(it.anchor, set);
      const all = this.inAllOf.get(it.anchor);
      this.inAllOf.set(it.anchor, all ? new Set([...all].filter((w) => it.editions.has(w))) : new Set(it.editions));
      const formats = this.formatsOf.get(it.anchor) ?? new Map<string, string[]>();
      formats.set(it.item.format, tokens(it.item.format));
      this.formatsOf.set(it.anchor, formats);
    }
    this.slotWords = new Set([...editionWords, ...catalog.flatMap((c) => tokens(c.format))]);
    const numbered = new Set(catalog.map((c) => normalize(seriesName(c.title))).filter((name) => /\p{L}/u.test(name) && /\b\d+$/.test(name)));
    this.numberedNames = [...numbered].map((name) => [new RegExp(` ${name} `, 'g'), ` ${name.replace(/(?:\s+no)?\s+\d+$/, '')} `]);
    const df = new Map<string, number>();
    for (const it of this.items) for (const w of it.words) df.set(w, (df.get(w) ?? 0) + 1);
    for (const [w, n] of df) {
      this.weight.set(w, Math.log(1 + this.items.length / n));
      this.allWords.add(w);
    }
  }

  /**
   * The numbered volumes of an item's series in the same edition, format and language (One Piece's
   * plain paperbacks, not its omnibus, Japanese edition or box set), by volume; [] for an item
   * without a volume number.
   */
  volumesLike(item: CatalogItem): CatalogItem[] {
    if (item.volume == null) return [];
    const key = (it: IndexedItem) => `${seriesName(it.item.title)}|${[...it.editions].sort().join(' ')}|${it.item.format}|${it.item.language}`;
    const own = this.items.find((it) => it.item.id === item.id);
    if (!own) return [];
    const k = key(own);
    return this.items
      .filter((it) => it.item.volume != null && key(it) === k)
      .map((it) => it.item)
      .sort((a, b) => a.volume! - b.volume! || a.id.localeCompare(b.id));
  }

  /** The volume a question asks for: "vol 3", "volume 3", "book 5", "#3", "the first one", "berserk deluxe 2". */
  volumeOf(question: string): number | null {
    // A series' own number ("kaiju no 8", "mob psycho 100") numbers no volume: it is read as its name's.
    const n = this.numberedNames.reduce((q, [name, bare]) => q.replace(name, bare), ` ${normalize(question)} `).trim();
    // "no. 8" numbers a volume only when no "vol"/"volume" does: in "kaiju no 8 volume 2" it is the title's.
    const explicit = /\b(?:vol|volume|book|part)\s*(\d{1,3})\b/.exec(n) ?? /\bno\s*(\d{1,3})\b/.exec(n) ?? /#\s*(\d{1,3})\b/.exec(question);
    if (explicit) return Number(explicit[1]);
    const worded = WORDED_VOLUME_ONCE.exec(n);
    if (worded) return CARDINALS.indexOf(worded[2].toLowerCase()) + 1;
    const ws = n.split(' ');
    for (let i = 0; i < ws.length; i++) {
      if (ORDINALS[ws[i]] && /^(?:volume|vol|book|one|installment|part)$/.test(ws[i + 1] ?? '')) return ORDINALS[ws[i]];
      if (ORDINALS[ws[i]] && ws.slice(i + 1, i + 6).some((w) => /^(?:volume|vol|book)$/.test(w))) return ORDINALS[ws[i]];
      if (ORDINALS[ws[i]] && i > 0 && ws[i - 1] === 'the') return ORDINALS[ws[i]];
    }
    // A bare number right after a title word ("dorohedoro 1", "one piece 111").
    for (let i = 1; i < ws.length; i++) {
      if (/^\d{1,3}$/.test(ws[i]) && this.allWords.has(ws[i - 1]) && !/^(?:year|years|yo|copies|copy|dollars)$/.test(ws[i + 1] ?? '')) return Number(ws[i]);
    }
    return null;
  }

  /** Titles the question names, best first (at most `k`); `volume` overrides the one the question asks for. */
  match(question: string, k = 3, volume: number | null = this.volumeOf(question)): CatalogMatch[] {
    // "volume one" numbers a volume: its "one" is no title word (One Piece, One-Punch Man).
    const q = new Set(tokens(question.replace(WORDED_VOLUME, '$1')));
    const namedEditions = [...q].filter((w) => this.editionWords.has(w));
    const said = new SaidNames(question, this.slotWords);
    const out: CatalogMatch[] = [];
    for (const it of this.items) {
      if (!q.has(it.anchor)) continue;
      if (!it.distinctive.some((w) => q.has(w)) && !it.names.some((n) => said.has(n, this.everyday))) continue;
      // The series named in full ("frieren"): the rest of the title (its subtitle, "Beyond
      // Journey's End", "Romance Dawn") is not missing, only its edition words are.
      const seriesNamed = it.series.length > 0 && it.series.every((w) => q.has(w));
      let score = 0;
      for (const w of it.words) {
        const wt = this.weight.get(w) ?? 1;
        if (q.has(w)) score += wt;
        // An edition word every title of the series has ("Berserk Deluxe Edition") tells none apart: it costs what any other word does.
        else if (it.editions.has(w)) score -= this.inAllOf.get(it.anchor)!.has(w) ? 0.15 * wt : 1.5;
        else if (!(seriesNamed && !it.series.includes(w))) score -= 0.15 * wt;
      }
      const v = it.item.volume;
      // An edition the question names ("the omnibus", "in Japanese") outweighs other title words
      // it repeats from an earlier turn ("one piece vol 1 romance dawn omnibus"), for a title of the asked volume.
      // Only editions this series has count ("omnibus" said of Vagabond, whose omnibus is the VIZBIG Edition, decides nothing).
      const seriesEditions = this.editionsOf.get(it.anchor)!;
      if (volume === null || v === volume || v === null) for (const w of namedEditions) if (seriesEditions.has(w)) score += it.editions.has(w) ? EDITION_NAMED : -EDITION_NAMED;
      // A format the question names, of a series that comes in several: the title in it wins, the others lose.
      const formats = this.formatsOf.get(it.anchor)!;
      const namedFormats = formats.size > 1 ? [...formats].filter(([, ws]) => ws.every((w) => q.has(w))).map(([f]) => f) : [];
      if (namedFormats.length === 1) score += it.item.format === namedFormats[0] ? EDITION_NAMED : -EDITION_NAMED;
      if (volume !== null) score += v === volume ? 3 : v === null ? -1 : -4;
      else score += v === 1 || v === null ? 0.5 : -0.1 * Math.log2(v + 1);
      out.push({ item: it.item, score });
    }
    return out.sort((a, b) => b.score - a.score || a.item.id.localeCompare(b.item.id)).slice(0, k);
  }
}

/** Where a question says a name whole: its words (normalized) and as written, for title-names.ts's cues. */
class SaidNames {
  private readonly words: string[];
  private readonly cased: string[];

  constructor(
    question: string,
    private readonly slotWords: ReadonlySet<string>,
  ) {
    this.words = tokens(question);
    this.cased = question.normalize('NFKD').replace(/\p{M}+/gu, '').replace(/['’]s\b/g, '').replace(/[^\p{L}\p{N}$]+/gu, ' ').split(' ').filter(Boolean);
  }

  /** Whether the name (normalized) is said as a phrase, and — a name of one everyday word — said as a name. */
  has(name: string, everyday: ReadonlySet<string>): boolean {
    const n = name.split(' ');
    for (let i = 0; i + n.length <= this.words.length; i++) {
      if (!n.every((x, j) => this.words[i + j] === x)) continue;
      if (!isEverydayName(n, everyday) || saidAsName(this.words, i, i + n.length, { cased: this.cased, nameAfter: (k) => this.slotWords.has(this.words[k] ?? '') })) return true;
    }
    return false;
  }
}
