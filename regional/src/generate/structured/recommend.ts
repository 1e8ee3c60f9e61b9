/**
 * Recommendations from the catalog, without an LLM: "something like Frieren", "a good horror
 * novel", "manga for a 12 year old". One title per series (its first volume that can be had),
 * chosen by what the question gives:
 *   - a title it names (the seed): series sharing the most genres with the seed's (Jaccard), the
 *     same type and the same author counting extra; the seed's own series is left out;
 *   - genres it names (the catalog's own genre words: "horror", "sci-fi", "dark fantasy"), the
 *     type of book (the pack's type labels: "manga", "light novel"), an age ("for a 12 year old",
 *     answers.json `recommendation.ageRatings`: the youngest age each rating suits), a price
 *     ("under $10", "the cheapest manga": `recommendation.priceCues`): what the series must have
 *     or suit, and for a cheapest or dearest wish, the order.
 * A question that gives none of these gets no recommendation (null: the caller asks what the
 * shopper likes). Titles that can be had (in stock or on preorder) come first. Pure, data-driven.
 */
import type { CatalogItem } from '../../../../shared/domain/store-kb.ts';
import { seriesName } from '../../../../shared/cache/store-gazetteer.ts';
import type { StoreAnswerData } from './answer-data.ts';
import { normalize } from './text.ts';

export interface Recommendation {
  /** The series the question named, as a shopper would write it ("Frieren"), if any. */
  seed?: string;
  /** The price the question wished for, if any. */
  price?: PriceWish;
  items: CatalogItem[];
}

/** "under $10" (max 10), "the cheapest manga" (order asc), "your priciest box set" (order desc). */
export interface PriceWish {
  max?: number;
  order?: 'asc' | 'desc';
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** An amount as shoppers write it: "$10", "10 dollars", "12.50", "15 bucks". */
const AMOUNT = String.raw`\$?\s?(\d{1,4}(?:\.\d{1,2})?)\s?(?:\$|dollars?|bucks|usd)?`;

interface Series {
  key: string;
  items: CatalogItem[];
  genres: Set<string>;
}

/** How many titles a recommendation names. */
const PICKS = 3;

/** A title's series as written ("Frieren: Beyond Journey's End, Vol. 1" → "Frieren"). */
export function seriesDisplayName(title: string): string {
  return title.split(/[,(]|:(?=\s)| -| vol\.? | volume /i)[0].trim();
}

/** What a pick must suit besides its series' genres and type. */
interface Wishes {
  age: number | null;
  price?: PriceWish;
  formats: string[];
}

const canHave = (it: CatalogItem) => it.stock > 0 || it.preorder;

/** A title's authors: "Haruki Murakami (tr. Jay Rubin)" is Haruki Murakami; "Kanehito Yamada, Tsukasa Abe" either of them. */
const authorsOf = (it: CatalogItem) => it.author.replace(/\([^)]*\)/g, '').split(/,\s*|\s+and\s+|\s*&\s*/).map(normalize).filter(Boolean);

/** Two series keys of one series: the same, or one the other's edition ("one piece box set" of "one piece"). */
const relatedSeries = (a: string, b: string) => a === b || a.startsWith(`${b} `) || b.startsWith(`${a} `);

/** The phrases the question says (` q ` padded), not inside the seed's title, and not inside a longer one it says ("light novel" over "novel"). */
function saidIn(q: string, phrases: string[], seedWords: string): string[] {
  const found = [...new Set(phrases)].filter((p) => p && q.includes(` ${p} `) && !seedWords.includes(` ${p} `));
  return found.filter((p) => !found.some((o) => o !== p && ` ${o} `.includes(` ${p} `)));
}

export class Recommender {
  private readonly series: Series[];
  private readonly bySeries = new Map<string, Series>();
  /** Every genre of the catalog, normalized ("sci fi", "dark fantasy"). */
  private readonly genres: string[];
  /** The words for each type of book: its label, plural too ("light novels"), and the pack's `typeAliases` ("novel" → book). */
  private readonly typePhrases = new Map<string, string>();
  /** The words for each format: its name, plural too ("box sets", "hardcovers"). */
  private readonly formatPhrases = new Map<string, string>();
  /** The pack's price cues as patterns: an amount after a `below` word or before an `orLess` one. */
  private readonly belowAmount: RegExp | null;
  private readonly amountOrLess: RegExp | null;

  constructor(private readonly data: StoreAnswerData) {
    for (const item of data.catalog) {
      const key = seriesName(item.title);
      const s = this.bySeries.get(key) ?? { key, items: [], genres: new Set<string>() };
      s.items.push(item);
      for (const g of item.genre) s.genres.add(normalize(g));
      this.bySeries.set(key, s);
    }
    this.series = [...this.bySeries.values()];
    this.genres = [...new Set(data.catalog.flatMap((c) => c.genre.map(normalize)))];
    for (const type of new Set(data.catalog.map((c) => c.type))) {
      const label = normalize(data.catalogText.typeLabel(type));
      this.typePhrases.set(label, type).set(`${label}s`, type);
    }
    for (const [phrase, type] of Object.entries(data.config.recommendation?.typeAliases ?? {})) this.typePhrases.set(normalize(phrase), type);
    for (const format of new Set(data.catalog.map((c) => c.format))) this.formatPhrases.set(normalize(format), format).set(`${normalize(format)}s`, format);
    const cues = data.config.recommendation?.priceCues;
    const alternatives = (ws: string[] = []) => ws.map((w) => escape(w.toLowerCase())).join('|');
    this.belowAmount = cues?.below.length ? new RegExp(String.raw`\b(?:${alternatives(cues.below)})\s+${AMOUNT}(?!\s?(?:year|yr|copies|copy|volume|vol|book|page))`, 'i') : null;
    this.amountOrLess = cues?.orLess.length ? new RegExp(String.raw`${AMOUNT}\s+(?:${alternatives(cues.orLess)})\b`, 'i') : null;
  }

  /**
   * The price the question wishes for: an amount under which (answers.json
   * `recommendation.priceCues.below` before it, `orLess` after it), and/or the cheapest or dearest
   * first. Null when it says none.
   */
  priceWish(question: string): PriceWish | null {
    const cues = this.data.config.recommendation?.priceCues;
    if (!cues) return null;
    const text = question.toLowerCase().replace(/[^a-z0-9$.]+/g, ' ');
    const amount = this.belowAmount?.exec(text) ?? this.amountOrLess?.exec(text);
    const q = ` ${normalize(question)} `;
    const says = (ws: string[]) => ws.some((w) => q.includes(` ${normalize(w)} `));
    const order = says(cues.dearest) ? 'desc' : says(cues.cheapest) ? 'asc' : undefined;
    if (!amount && !order) return null;
    return { ...(amount ? { max: Number(amount[1]) } : {}), ...(order ? { order } : {}) };
  }

  /** Whether the question asks for something cheaper than what was offered (`priceCues.cheaper`: "anything cheaper?"). */
  saysCheaper(question: string): boolean {
    const q = ` ${normalize(question)} `;
    return (this.data.config.recommendation?.priceCues.cheaper ?? []).some((w) => q.includes(` ${normalize(w)} `));
  }

  /**
   * Whether the question looks for titles by price and kind ("what's the cheapest manga you have",
   * "horror novels under $15"): a price wish and a genre or type said, no title named.
   */
  searchesByPrice(question: string): boolean {
    if (!this.priceWish(question)) return false;
    const q = ` ${normalize(question)} `;
    if (this.seriesNamed(q)) return false;
    const aliases = Object.keys(this.data.config.recommendation?.genreAliases ?? {}).map(normalize);
    return saidIn(q, [...this.genres, ...aliases, ...this.typePhrases.keys(), ...this.formatPhrases.keys()], '').length > 0;
  }

  /**
   * The recommendation the question asks for: `seed` is the title the caller matched in it, if
   * any (a series named short, "like Frieren", is found here too). Null when the question names no
   * title, genre, type or age to go by; no items when nothing in the catalog fits it.
   */
  /**
   * @param priced a price wish that replaces the question's own ("anything cheaper?" after picks:
   *   under the cheapest of them, cheapest first)
   */
  recommend(question: string, matched: CatalogItem | null, priced?: PriceWish): Recommendation | null {
    const q = ` ${normalize(question)} `;
    const seedSeries = this.seriesNamed(q) ?? (matched ? this.bySeries.get(seriesName(matched.title)) : undefined);
    const seed = seedSeries ? (matched && seedSeries.items.includes(matched) ? matched : this.firstOf(seedSeries, null)!) : null;
    // Genres said in the question (longest first: "dark fantasy" before "fantasy"), not those inside the seed's title.
    const seedWords = seed ? ` ${normalize(seed.title)} ` : '';
    const aliases = this.data.config.recommendation?.genreAliases ?? {};
    const said = saidIn(q, [...this.genres, ...Object.keys(aliases).map(normalize)], seedWords);
    const genres = [...new Set(said.flatMap((g) => [g, ...(aliases[g] ?? []).map(normalize)]))];
    const types = [...new Set(saidIn(q, [...this.typePhrases.keys()], seedWords).map((p) => this.typePhrases.get(p)!))];
    const age = this.ageOf(q);
    const price = priced ?? this.priceWish(question) ?? undefined;
    const formats = [...new Set(saidIn(q, [...this.formatPhrases.keys()], seedWords).map((p) => this.formatPhrases.get(p)!))];
    if (!seed && !said.length && !types.length && age === null && !price && !formats.length) return null;
    const wishes = { age, price, formats };
    // A type said with other wishes ("sci-fi books") gives way when nothing of that type fits them.
    const items = this.pick(seedSeries, seed, genres, types, wishes);
    // (Not under a price said: "manga under $10" wants manga; none is the answer.)
    const found = items.length || !types.length || price || (!seed && !said.length && age === null) ? items : this.pick(seedSeries, seed, genres, [], wishes);
    return { ...(seed ? { seed: seriesDisplayName(seed.title) } : {}), ...(price ? { price } : {}), items: found };
  }

  /** The longest series name the question holds ("frieren", "one piece"), if any. */
  private seriesNamed(q: string): Series | undefined {
    let best: Series | undefined;
    for (const s of this.series) if (s.key.length >= 3 && q.includes(` ${normalize(s.key)} `) && (!best || s.key.length > best.key.length)) best = s;
    return best;
  }

  private pick(seedSeries: Series | undefined, seed: CatalogItem | null, genres: string[], types: string[], wishes: Wishes): CatalogItem[] {
    const { price } = wishes;
    // The seed's series and its other editions ("one piece box set" of "one piece") are not recommended for it.
    const related = (a: Series, b: Series) => relatedSeries(a.key, b.key);
    const scored: { series: Series; score: number; pick: CatalogItem }[] = [];
    for (const s of this.series) {
      if (seedSeries && related(s, seedSeries)) continue;
      const pick = this.firstOf(s, wishes);
      if (!pick) continue;
      if (types.length && !types.includes(pick.type)) continue;
      if (genres.length && !genres.some((g) => s.genres.has(g))) continue;
      let score = genres.filter((g) => s.genres.has(g)).length;
      if (seedSeries && seed) {
        const shared = [...s.genres].filter((g) => seedSeries.genres.has(g)).length;
        if (!shared) continue;
        score += shared / new Set([...s.genres, ...seedSeries.genres]).size;
        if (pick.type === seed.type) score += 0.2;
        if (pick.author === seed.author) score += 0.3;
      }
      scored.push({ series: s, score: score + (canHave(pick) ? 10 : 0), pick });
    }
    // One title per series: its box set or other edition ("one piece box set") is the same series.
    const picked: typeof scored = [];
    // A price order ranks the titles that fit the wishes by price (those that can be had first).
    const byPrice = (a: (typeof scored)[number], b: (typeof scored)[number]) => (price?.order ? Number(canHave(b.pick)) - Number(canHave(a.pick)) || (price.order === 'asc' ? a.pick.price - b.pick.price : b.pick.price - a.pick.price) : 0);
    for (const c of scored.sort((a, b) => byPrice(a, b) || b.score - a.score || a.pick.id.localeCompare(b.pick.id))) {
      if (picked.length < PICKS && !picked.some((p) => related(p.series, c.series))) picked.push(c);
    }
    return picked.map((p) => p.pick);
  }

  /** The other series by `seed`'s author (any of its authors), one title each, those that can be had first. */
  byAuthor(seed: CatalogItem): CatalogItem[] {
    // Its own series only: a sequel with a name of its own (Dune Messiah after Dune) is another title.
    return this.titlesOf(new Set(authorsOf(seed)), this.bySeries.get(seriesName(seed.title)));
  }

  /** The series by `author` (a name as authorNames gives it), one title each, those that can be had first. */
  titlesBy(author: string): CatalogItem[] {
    return this.titlesOf(new Set([author]));
  }

  /** Every author the catalog names, normalized, one name each ("haruki murakami", "tsukasa abe"). */
  authorNames(): string[] {
    return [...new Set(this.data.catalog.flatMap(authorsOf))];
  }

  private titlesOf(authors: Set<string>, except?: Series): CatalogItem[] {
    const out: CatalogItem[] = [];
    for (const s of this.series) {
      if (s === except) continue;
      const pick = this.firstOf(s, null);
      if (!pick || !authorsOf(pick).some((a) => authors.has(a))) continue;
      if (out.some((o) => relatedSeries(seriesName(o.title), s.key))) continue;
      out.push(pick);
    }
    return out.sort((a, b) => Number(canHave(b)) - Number(canHave(a))).slice(0, PICKS + 2);
  }

  /**
   * A series' first volume that suits the wishes (an age, a price limit, a format) and can be had,
   * else its first suited one; for a cheapest or dearest wish, its cheapest or dearest suited one
   * instead of its first. Undefined when none suits.
   */
  private firstOf(s: Series, wishes: Wishes | null): CatalogItem | undefined {
    const { age = null, price, formats = [] } = wishes ?? {};
    const ratings = this.data.config.recommendation?.ageRatings ?? {};
    // A price wish is for a copy in the series' own language: its Japanese edition is no cheaper English one.
    const own = s.items[0].language;
    const suited = s.items.filter((it) => (age === null || (ratings[it.ageRating] ?? Infinity) <= age) && (price?.max === undefined || it.price <= price.max) && (!formats.length || formats.includes(it.format)) && (!price || it.language === own));
    const order = (it: CatalogItem) => (it.volume ?? 1000) + (it.language !== suited[0]?.language ? 2000 : 0) + (it.format === 'ebook' ? 3000 : 0);
    const byPrice = (a: CatalogItem, b: CatalogItem) => (price?.order === 'asc' ? a.price - b.price : price?.order === 'desc' ? b.price - a.price : 0);
    const sorted = [...suited].sort((a, b) => byPrice(a, b) || order(a) - order(b) || a.id.localeCompare(b.id));
    return sorted.find(canHave) ?? sorted[0];
  }

  /** "for a 12 year old", "my 9-year-old", "for kids" (answers.json `recommendation.kidsAge`); null when no age is said. */
  private ageOf(q: string): number | null {
    const n = /\b(\d{1,2}) ?(?:year|yr)s? ?old\b/.exec(q) ?? /\b(?:age|aged|ages) (\d{1,2})\b/.exec(q);
    if (n) return Number(n[1]);
    const kids = this.data.config.recommendation?.kids;
    return kids && kids.words.some((w) => q.includes(` ${normalize(w)} `)) ? kids.age : null;
  }
}
