/**
 * Recommendations without an LLM (regional/src/generate/structured/recommend.ts): the offline
 * generator answers "something like X", "a good horror novel", "for a 12 year old" with titles of
 * the catalog chosen by genres, type and age, each said with its author, genres and price and
 * grounded in its record; a message with nothing to go by is asked what the shopper likes. Checked
 * over the whole catalog, not a list of sentences.
 */
import { describe, expect, it } from 'vitest';
import { ExtractiveGenerator } from '../regional/src/generate/extractive.ts';
import { loadStoreAnswerData } from '../regional/src/generate/structured/answer-data.ts';
import { StoreAnswers } from '../regional/src/generate/structured/store-answers.ts';
import { seriesDisplayName } from '../regional/src/generate/structured/recommend.ts';
import { seriesName } from '../shared/cache/store-gazetteer.ts';
import type { CatalogItem } from '../shared/domain/store-kb.ts';

const data = loadStoreAnswerData();
const gen = new ExtractiveGenerator(new StoreAnswers(data));
const rec = data.config.recommendation!;
const money = (n: number) => `$${n.toFixed(2)}`;
const lower = (s: string) => s.toLowerCase();

async function ask(question: string, intent = rec.intent, earlier: { user: string; assistant: string }[] = []): Promise<{ text: string; unsupported: boolean }> {
  let text = '';
  let unsupported = false;
  const messages = [...earlier.flatMap((t) => [{ role: 'user' as const, content: t.user }, { role: 'assistant' as const, content: t.assistant }]), { role: 'user' as const, content: question }];
  for await (const c of gen.generate({ system: '', messages, maxTokens: 400, tier: 'small', context: [], intent, intentConfidence: 0.97 })) {
    if (c.type === 'delta') text += c.text;
    if (c.type === 'meta') unsupported = !!c.unsupported;
  }
  return { text, unsupported };
}

/** The catalog items the answer names, in the order named (by their titles as written). */
const named = (text: string): CatalogItem[] =>
  data.catalog
    .filter((c) => text.includes(`${c.title} by ${c.author}`))
    .sort((a, b) => text.indexOf(`${a.title} by`) - text.indexOf(`${b.title} by`));

const seriesOf = (it: CatalogItem) => seriesName(it.title);
const related = (a: CatalogItem, b: CatalogItem) => {
  const [x, y] = [seriesOf(a), seriesOf(b)];
  return x === y || x.startsWith(`${y} `) || y.startsWith(`${x} `);
};
const genresOf = (it: CatalogItem) => new Set(data.catalog.filter((c) => seriesOf(c) === seriesOf(it)).flatMap((c) => c.genre.map(lower)));

// One seed per series: its first title; series named as a shopper would ("Frieren", "One Piece");
// a series no other shares a genre with has nothing to recommend for it.
const seeds = [...new Map(data.catalog.map((c) => [seriesOf(c), c] as const)).values()].filter(
  (c) => seriesDisplayName(c.title).length >= 4 && data.catalog.some((o) => !related(o, c) && o.genre.some((g) => genresOf(c).has(lower(g)))),
);
/** A genre and the pack's other names for it ("science fiction", "sci-fi"). */
const namesOf = (genre: string) => {
  const n = (s: string) => lower(s).replace(/[^a-z0-9]+/g, ' ').trim();
  return new Set([n(genre), ...(rec.genreAliases[n(genre)] ?? []).map(n)]);
};

describe('recommendations from the catalog', () => {
  it.each(seeds.map((s) => [seriesDisplayName(s.title), s] as const))('"something like %s" names other series sharing its genres, each with its price', async (name, seed) => {
    const { text, unsupported } = await ask(`can you recommend something like ${name}?`);
    const items = named(text);
    expect(items.length, text).toBeGreaterThan(0);
    expect(items.length).toBeLessThanOrEqual(3);
    expect(unsupported, text).toBe(false);
    for (const it of items) {
      expect(related(it, seed), `${it.title} is ${name}'s own series`).toBe(false);
      expect([...genresOf(it)].some((g) => genresOf(seed).has(g)), `${it.title} shares no genre with ${name}`).toBe(true);
      expect(text).toContain(`${it.title} by ${it.author} (${it.genre.join(', ')}), ${money(it.price)}`);
    }
    // one title per series
    for (const [i, a] of items.entries()) for (const b of items.slice(i + 1)) expect(related(a, b), `${a.title} / ${b.title}`).toBe(false);
  });

  const genres = [...new Set(data.catalog.flatMap((c) => c.genre))].filter((g) => new Set(data.catalog.filter((c) => c.genre.includes(g)).map(seriesOf)).size >= 3);
  it.each(genres)('"any good %s?" names titles of that genre, those that can be had first', async (genre) => {
    const { text } = await ask(`any good ${lower(genre)} to recommend?`);
    const items = named(text);
    expect(items.length, text).toBe(3);
    const names = namesOf(genre);
    for (const it of items) expect(it.genre.some((g) => [...namesOf(g)].some((x) => names.has(x))), `${it.title}: ${it.genre}`).toBe(true);
    // Titles that can be had come first: when three unrelated series of the genre can be had, all three named can.
    const available: CatalogItem[] = [];
    for (const c of data.catalog) if (c.genre.includes(genre) && (c.stock > 0 || c.preorder) && !available.some((a) => related(a, c))) available.push(c);
    if (available.length >= 3) for (const it of items) expect(it.stock > 0 || it.preorder, `${it.title} cannot be had`).toBe(true);
  });

  it('an age, a type of book and a shopper\'s word for a genre narrow the titles', async () => {
    const young = named((await ask('what do you recommend for a 12 year old?')).text);
    expect(young.length).toBeGreaterThan(0);
    for (const it of young) expect(rec.ageRatings[it.ageRating], `${it.title}: ${it.ageRating}`).toBeLessThanOrEqual(12);
    const novels = named((await ask('suggest a good horror novel')).text);
    expect(novels.length).toBeGreaterThan(0);
    for (const it of novels) expect([it.type, it.genre.includes('Horror')]).toEqual(['book', true]);
    const ln = named((await ask('any light novels like overlord?')).text);
    expect(ln.length).toBeGreaterThan(0);
    for (const it of ln) expect(it.type).toBe('light_novel');
    const scary = named((await ask('something scary please')).text);
    for (const it of scary) expect(it.genre).toContain('Horror');
    expect(scary.length).toBeGreaterThan(0);
  });

  it('asks what the shopper likes when the message gives nothing to go by; leaves other requests alone', async () => {
    for (const q of ['what should I read next?', 'any recommendations?', 'got any suggestions for me']) expect((await ask(q)).text, q).toContain(rec.sentences.ask);
    const sushi = (await ask('recommend me a good sushi restaurant in portland')).text;
    expect(sushi).not.toContain(rec.sentences.ask);
    expect(named(sushi)).toEqual([]);
  });

  it('is only for the recommendation intent: a price question about a series is not answered with other titles', async () => {
    const { text } = await ask('do you have frieren?', 'price_availability');
    expect(text).not.toContain(rec.sentences.like.split('{')[0]);
  });
});

describe('a list position after an answer that listed titles', () => {
  it.each(['any good horror manga?', 'something like one piece', 'any good sci-fi?', 'do you have chainsaw man?'])('picks from what "%s" was answered with, in the order written', async (first) => {
    const firstIntent = /^do you have/.test(first) ? 'price_availability' : rec.intent;
    const { text: answer } = await ask(first, firstIntent);
    const listed = data.catalog.filter((c) => answer.includes(`${c.title} `)).sort((a, b) => answer.indexOf(a.title) - answer.indexOf(b.title));
    expect(listed.length, answer).toBeGreaterThanOrEqual(2);
    const earlier = [{ user: first, assistant: answer }];
    const picks: [string, CatalogItem][] = [
      ['is the first one in stock?', listed[0]],
      ['how much is the second one', listed[1]],
      ['who wrote the last one?', listed.at(-1)!],
      ['which is the cheapest one', [...listed].sort((a, b) => a.price - b.price)[0]],
    ];
    for (const [q, want] of picks) {
      const { text } = await ask(q, q.startsWith('who') ? 'product_question' : 'price_availability', earlier);
      expect(text.startsWith(want.title), `${q} → ${text}`).toBe(true);
    }
    // two turns on: the list stays while the talk stays on its titles
    const { text: about } = await ask('how much is the second one', 'price_availability', earlier);
    const later = [...earlier, { user: 'how much is the second one', assistant: about }];
    expect((await ask('who wrote the last one?', 'product_question', later)).text.startsWith(listed.at(-1)!.title)).toBe(true);
    // …and ends when it moves on
    const moved = [...later, { user: 'do you ship to canada?', assistant: 'Shipping to Canada: Standard $14.99, 7–12 business days.' }];
    expect((await ask('is the first one in stock?', 'price_availability', moved)).text.startsWith(listed[0].title)).toBe(false);
    // a message naming its own title is about that title
    expect((await ask('is the first one piece volume in stock?', 'price_availability', earlier)).text).toMatch(/^One Piece/);
  });
});

describe('totals, copies and the same author', () => {
  const plain = (n: string) => n.replace(/\([^)]*\)/g, '').trim();
  const authorsOf = (it: CatalogItem) => plain(it.author).split(/,\s*|\s+and\s+|\s*&\s*/).filter(Boolean);

  it.each(data.catalog.filter((c) => c.volume == null && c.type === 'book').slice(0, 12).map((c) => [c.title, c] as const))('"%s, and if i buy three?" says what three copies come to', async (_, item) => {
    const first = await ask(`how much is ${item.title}?`, 'price_availability');
    const { text } = await ask(`how much is ${item.title} if i buy three?`, 'price_availability', [{ user: `how much is ${item.title}?`, assistant: first.text }]);
    const total = money(Math.round(item.price * 300) / 100);
    // more copies than the store has in stock are not priced as if they could be bought
    if (item.preorder || item.format === 'ebook' || item.stock >= 3) expect(text).toContain(total);
    else expect(text).not.toContain(total);
  });

  it('more copies than are in stock get the stock, never a sum for copies that cannot be bought', async () => {
    const few = data.catalog.filter((c) => !c.preorder && c.format !== 'ebook' && c.stock > 0 && c.stock < 5 && c.volume == null);
    expect(few.length).toBeGreaterThan(2);
    for (const item of few) {
      const n = item.stock + 3;
      const { text } = await ask(`can I buy ${n} copies of ${item.title} in one order?`, 'price_availability');
      expect(text, item.title).not.toContain(money(Math.round(item.price * n * 100) / 100));
    }
  });

  // pairs of books named in full, each unambiguous on its own
  const books = data.catalog.filter((c) => c.volume == null && c.type === 'book' && !/[,:(]/.test(c.title));
  const pairs = books.slice(0, 10).map((a, i) => [a, books[(i + 3) % books.length]] as const).filter(([a, b]) => a.id !== b.id);
  it.each(pairs.map(([a, b]) => [a.title, b.title, a, b] as const))('"%s and %s — prices?" then "together?" gives each price and the sum', async (_a, _b, a, b) => {
    const q = `${a.title.toLowerCase()} and ${b.title.toLowerCase()}, what are the prices`;
    const first = await ask(q, 'price_availability');
    expect(first.text).toContain(money(a.price));
    expect(first.text).toContain(money(b.price));
    const { text } = await ask("what's that come to altogether?", 'price_availability', [{ user: q, assistant: first.text }]);
    expect(text, text).toContain(money(Math.round((a.price + b.price) * 100) / 100));
  });

  it('"<series> 1 & 2" lists both volumes', async () => {
    const two = [...new Set(data.catalog.filter((c) => c.volume === 2).map((c) => c.title.split(',')[0]))].filter((n) => data.catalog.some((c) => c.title === `${n}, Vol. 1`) && !/\d/.test(n));
    expect(two.length).toBeGreaterThan(5);
    for (const n of two) {
      const { text } = await ask(`${n.toLowerCase()} 1 & 2 - prices pls`, 'price_availability');
      expect(text, text).toContain(`${n}, Vol. 1 is`);
      expect(text, text).toContain(`${n}, Vol. 2 is`);
    }
  });

  const seedsByAuthor = [...new Map(data.catalog.map((c) => [seriesOf(c), c] as const)).values()].filter((c) => c.type === 'book').slice(0, 25);
  it.each(seedsByAuthor.map((c) => [c.title, c] as const))('"anything else by the same author?" after %s names the author\'s other series, or says there are none', async (_, seed) => {
    const first = await ask(`how much is ${seed.title}?`, 'price_availability');
    const { text } = await ask('anything else by the same author?', 'price_availability', [{ user: `how much is ${seed.title}?`, assistant: first.text }]);
    const others = data.catalog.filter((c) => seriesOf(c) !== seriesOf(seed) && authorsOf(c).some((a) => authorsOf(seed).includes(a)));
    if (!others.length) {
      expect(text).toContain(`${seed.title} is the only title by`);
      return;
    }
    const listed = named(text);
    expect(listed.length, text).toBeGreaterThan(0);
    for (const it of listed) {
      expect(seriesOf(it)).not.toBe(seriesOf(seed));
      expect(authorsOf(it).some((a) => authorsOf(seed).includes(a)), it.title).toBe(true);
    }
  });
});

describe('titles looked for by price', () => {
  const can = (it: CatalogItem) => it.stock > 0 || it.preorder;
  const label = (type: string) => data.catalogText.typeLabel(type).toLowerCase();
  const types = [...new Set(data.catalog.map((c) => c.type))];
  const formats = [...new Set(data.catalog.map((c) => c.format))];

  it.each(types)('"the cheapest %s": that type, cheapest first, the cheapest that can be had leading', async (type) => {
    const { text } = await ask(`what's the cheapest ${label(type)} you have?`, 'oos');
    const items = named(text);
    expect(items.length, text).toBeGreaterThan(0);
    expect(items.every((it) => it.type === type)).toBe(true);
    const prices = items.map((it) => it.price);
    expect(prices).toEqual([...prices].sort((a, b) => a - b));
    expect(items[0].price).toBe(Math.min(...data.catalog.filter((c) => c.type === type && can(c)).map((c) => c.price)));
  });

  it.each(formats)('"your most expensive %s": that format, dearest first', async (format) => {
    const { text } = await ask(`what is your most expensive ${format}?`, 'price_availability');
    const items = named(text);
    expect(items.length, text).toBeGreaterThan(0);
    expect(items.every((it) => it.format === format)).toBe(true);
    expect(items[0].price).toBe(Math.max(...data.catalog.filter((c) => c.format === format && can(c)).map((c) => c.price)));
  });

  it('an amount to stay under, written several ways: every pick at or under it; none when nothing is', async () => {
    for (const limit of [8, 10, 12.5, 15, 25]) {
      for (const [q, type] of [[`anything under $${limit}?`], [`manga for less than ${limit} dollars`, 'manga'], [`a book for ${limit} bucks or less`, 'book']]) {
        const { text } = await ask(q);
        const items = named(text);
        for (const it of items) if (type) expect(it.type).toBe(type);
        if (!data.catalog.some((c) => c.price <= limit && (!type || c.type === type))) expect(text, q).toContain('Nothing');
        else {
          expect(items.length, q).toBeGreaterThan(0);
          for (const it of items) expect(it.price, `${q}: ${it.title}`).toBeLessThanOrEqual(limit);
          // the amount is the shopper's, not a record's: the grounding guard would drop a sentence saying it
          expect(text).not.toContain(money(limit));
        }
      }
    }
    expect((await ask('a fantasy manga for $1 or less')).text).toMatch(/^Nothing in our catalog fits that within your budget/);
  });

  it('a price search is the catalog\'s even when classified out of scope; an out-of-scope question with a price is still declined', async () => {
    expect(named((await ask('cheapest horror manga?', 'oos')).text).length).toBeGreaterThan(0);
    expect((await ask("what's the cheapest flight to tokyo", 'oos')).text).toMatch(/outside what I can help with/);
    // a title's own price, or the cheapest shipping, is not a search
    expect((await ask('what is the cheapest way to ship to canada', 'shipping_info')).text).toMatch(/Canada/);
    expect((await ask('how much is the cheapest one piece', 'price_availability')).text).toMatch(/^One Piece, Vol\. 1/);
  });

  it('"anything cheaper?" / "under N?" after picks: the same wishes, under the cheapest offered or the amount, whatever the intent', async () => {
    const asks = ['any good fantasy manga?', 'something like frieren', 'a horror novel please', 'manga for my 12 year old', 'any good sci-fi?'];
    for (const first of asks) {
      const offered = await ask(first);
      const before = named(offered.text);
      expect(before.length, first).toBeGreaterThan(0);
      const floor = Math.min(...before.map((it) => it.price));
      for (const [follow, intent] of [['anything cheaper?', 'oos'], ['got anything less expensive', rec.intent]]) {
        const { text } = await ask(follow, intent, [{ user: first, assistant: offered.text }]);
        const after = named(text);
        if (!after.length) expect(text, `${first} → ${follow}`).toMatch(/^Nothing in our catalog/);
        for (const it of after) expect(it.price, `${first} → ${follow}: ${it.title}`).toBeLessThan(floor);
        // a type asked for stays asked for
        if (/manga/.test(first)) for (const it of after) expect(it.type).toBe('manga');
      }
      const { text } = await ask('how about under 10 bucks', 'price_availability', [{ user: first, assistant: offered.text }]);
      for (const it of named(text)) expect(it.price, `${first} → under 10`).toBeLessThanOrEqual(10);
      expect(text).not.toMatch(/outside what I can help with/);
    }
  });

  it('"anything cheaper?" after a title: its cheaper copies, cheapest first; and a follow-up two messages on still knows the picks asked for', async () => {
    const cheaperCopies = data.catalog.filter((c) => c.volume == null && data.catalog.some((o) => o !== c && seriesOf(o) === seriesOf(c) && o.volume == null && o.price < c.price));
    expect(cheaperCopies.length).toBeGreaterThan(0);
    for (const item of cheaperCopies) {
      const first = await ask(`how much is ${item.title}?`, 'price_availability');
      const { text } = await ask(`anything cheaper? — ${item.title}`, 'price_availability', [{ user: `how much is ${item.title}?`, assistant: first.text }]);
      // the rows said ("Dune (Ebook) is $9.99 …"): each a cheaper copy of the series, none the title asked about
      const rows = data.catalog.filter((c) => text.includes(`${c.title} is $`));
      expect(rows.length, `${item.title}: ${text}`).toBeGreaterThan(0);
      for (const c of rows) {
        expect(seriesOf(c)).toBe(seriesOf(item));
        expect(c.price).toBeLessThan(item.price);
      }
    }
    const q1 = 'any good fantasy manga?';
    const a1 = await ask(q1);
    const a2 = await ask('anything cheaper?', rec.intent, [{ user: q1, assistant: a1.text }]);
    const { text } = await ask('how about under 10 bucks', 'price_availability', [{ user: q1, assistant: a1.text }, { user: 'anything cheaper?', assistant: a2.text }]);
    expect(text).not.toMatch(/couldn't find|outside/);
    for (const it of named(text)) expect(it.price).toBeLessThanOrEqual(10);
  });

  it('a price wish about a title in talk asks among its copies, never for other titles, whatever the intent', async () => {
    for (const item of data.catalog.filter((c) => c.volume == null).slice(0, 40)) {
      const { text } = await ask(`which is the cheapest — do you have ${item.title}`, rec.intent);
      expect(text, item.title).not.toMatch(/you might enjoy|picks/);
    }
  });
});
