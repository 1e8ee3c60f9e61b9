/**
 * What the assistant recognises as a title, over the whole catalog, at every tier's reader: the
 * edge's and widget's dialogue entities, the cache's entity signature and the region's catalog
 * match. A title is found from the words that identify it — a distinctive word, enough of the
 * title, or its exact short name said as a name — never from one everyday word used in its
 * ordinary meaning; a title's own number or punctuation ("Kaiju No. 8", "Re:ZERO") is part of its
 * name and no volume; and list positions ("the second option") are read by one reader.
 */
import { describe, expect, it } from 'vitest';
import catalog from '../domains/kitsune-books/kb/catalog.json';
import terms from '../domains/kitsune-books/entities.json';
import conversation from '../domains/kitsune-books/conversation.json';
import { EntityExtractor, entityPatternsOf, gazetteerOf, normalizeForEntities } from '../shared/cache/entities.ts';
import { seriesName, storeGazetteer } from '../shared/cache/store-gazetteer.ts';
import { dialogueEntitiesFor, parseConversationData } from '../shared/conversation/conversation-data.ts';
import { tokens } from '../shared/conversation/dialogue-entities.ts';
import { resolveFollowUp, type ContextTurn } from '../shared/conversation/follow-up.ts';
import { listPositionIn } from '../shared/conversation/list-ordinal.ts';
import { loadStoreAnswerData } from '../regional/src/generate/structured/answer-data.ts';
import { MIN_TITLE_SCORE } from '../regional/src/generate/structured/store-answers.ts';
import { normalize } from '../regional/src/generate/structured/text.ts';

const words = parseConversationData(conversation);
const gazetteer = storeGazetteer(gazetteerOf(terms), catalog, words);
const ex = dialogueEntitiesFor(gazetteerOf(terms), catalog, conversation, entityPatternsOf(terms.patterns));
const cache = new EntityExtractor(gazetteer, entityPatternsOf(terms.patterns), words.everydayWords);
const region = loadStoreAnswerData();
const everyday = new Set(words.everydayWords);

/** The series (as entities write it) each catalog title belongs to. */
const series = (title: string) => normalizeForEntities(seriesName(title, words.seriesEndWords));
const edgeProducts = (text: string) => ex.analyze(text).entities.filter((e) => e.kind === 'product').map((e) => e.value);
const cacheProducts = (text: string) => cache.extract(text).filter((e) => e.kind === 'product').map((e) => e.value);
/** The titles the region names for a question (the bar it answers a title at). */
const regionTitles = (text: string) => region.index.match(text, 5).filter((m) => m.score >= MIN_TITLE_SCORE).map((m) => m.item.title);

/** Sentences that use a word in its ordinary meaning, not as a name (none of them asks about a thing by name). */
const ORDINARY = [
  (w: string) => `can i return the book i bought, it has a ${w} drawn on the torn cover`,
  (w: string) => `my order said ${w} on the tracking page, what does that mean`,
  (w: string) => `i was going to write ${w} in the gift note, is there a limit`,
];

describe('a title is not found on its everyday words', () => {
  it('the list of everyday words is the titles\' own and holds the common ones, not the distinctive ones', () => {
    expect(words.everydayWords).toEqual(expect.arrayContaining(['last', 'wish', 'before', 'cold', 'smile', 'tomorrow', 'march']));
    for (const w of ['frieren', 'berserk', 'messiah', 'naruto', 'kaiju']) expect(everyday.has(w)).toBe(false);
    const titleWords = new Set(catalog.flatMap((c) => tokens(c.title)));
    expect(words.everydayWords!.filter((w) => !titleWords.has(w))).toEqual([]);
  });

  it('the examples of the issue: "bought last week" is not The Last Wish, "before release" not Before the Coffee Gets Cold', () => {
    for (const q of ['can i return the book i bought last week', 'will i get it before release', 'it made me smile', 'will it arrive tomorrow', 'can it ship in march']) {
      expect(regionTitles(q), q).toEqual([]);
      expect(edgeProducts(q), q).toEqual([]);
      expect(cacheProducts(q), q).toEqual([]);
    }
  });

  // Every title, every everyday word of its series name, in three ordinary sentences: the title is not found.
  const cases = catalog.flatMap((c) => [...new Set(tokens(series(c.title)))].filter((w) => everyday.has(w) && w.length >= 3).flatMap((w) => ORDINARY.map((s) => [c.title, w, s(w)] as const)));
  it.each(cases)('%s is not found in an ordinary use of "%s": %s', (title, _w, text) => {
    expect(regionTitles(text)).not.toContain(title);
    expect(edgeProducts(text)).not.toContain(series(title));
    expect(cacheProducts(text)).not.toContain(series(title));
  });
  it('covers the catalog: many titles have an everyday word', () => expect(new Set(cases.map(([t]) => t)).size).toBeGreaterThan(40));
});

describe('a title is still found by its names', () => {
  // every series name and short name the gazetteer holds, asked for by name
  const names = Object.entries(gazetteer.product ?? {}).flatMap(([value, phrases]) => phrases.map((p) => [value, p] as const));
  it.each(names)('%s by "%s"', (value, name) => {
    expect(edgeProducts(`do you have ${name}?`)).toContain(normalizeForEntities(value));
    expect(cacheProducts(`do you have ${name}?`)).toContain(normalizeForEntities(value));
  });

  it.each(catalog.map((c) => c.title))('the region finds %s by its whole title', (title) => {
    const found = region.index.match(`How much is ${title}?`, 1)[0];
    expect(found?.score).toBeGreaterThanOrEqual(MIN_TITLE_SCORE);
    expect(normalize(seriesName(found!.item.title, words.seriesEndWords))).toBe(normalize(seriesName(title, words.seriesEndWords)));
  });

  it('"frieren" alone is Frieren', () => {
    expect(edgeProducts('frieren')).toEqual(['frieren']);
    expect(region.index.match('frieren', 1)[0].item.title).toMatch(/^Frieren/);
  });

  it.each([
    ['berserk deluxe', 'berserk'],
    ['dune messiah', 'dune messiah'],
    ['how much is the last wish', 'the last wish'],
    ['is before the coffee gets cold in stock', 'before the coffee gets cold'],
    ['smile by raina telgemeier, price?', 'smile'],
    ['How much is Smile?', 'smile'],
    ['tell me about bone', 'bone'],
    ['saga volume 2', 'saga'],
    ['do you sell march book one', 'march'],
    ['monster perfect edition 2', 'monster'],
    ['What is Tomorrow, and Tomorrow, and Tomorrow about?', 'tomorrow'],
    ['ok bot, is smile good for a 9 year old', 'smile'],
    ['is bone any good', 'bone'],
  ])('short names said as names: %s', (text, value) => {
    expect(edgeProducts(text)).toEqual([value]);
    expect(regionTitles(text).map(series)).toContain(value);
  });

  it('a whole title longer than its series name stays as written in the resolved text, where the region reads it', () => {
    const r = resolveFollowUp("I'm interested in Tomorrow, and Tomorrow, and Tomorrow. What's it about?", [], ex);
    expect(r.entities).toEqual([{ kind: 'product', value: 'tomorrow' }]);
    expect(regionTitles(r.text)).toEqual(['Tomorrow, and Tomorrow, and Tomorrow']);
  });

  it('a slip into an English function word names no title of everyday words; other slips still do', () => {
    expect(edgeProducts('I paid for the last with my card')).toEqual([]);
    expect(edgeProducts('one pece vol 2')).toEqual(['one piece']);
    expect(edgeProducts('the hobit')).toEqual(['the hobbit']);
  });

  it('a month that is also a title is still the month in the cache and at the edge when said as one', () => {
    expect(ex.analyze('can it ship in march').entities).toEqual([{ kind: 'date', value: 'march' }]);
    expect(cache.extract('can it ship in march')).toEqual([{ kind: 'date', value: 'march' }]);
    // a question judging a calendar word asks about the day
    expect(edgeProducts('is tomorrow ok for delivery')).toEqual([]);
  });
});

describe("a title's own numbers and punctuation are its name's", () => {
  /** Titles whose series name holds a digit or punctuation ("kaiju no. 8", "re:zero", "86—eighty-six"). */
  const marked = [...new Set(catalog.map((c) => seriesName(c.title, words.seriesEndWords)).filter((s) => /[^\p{L}\s]/u.test(s)))];
  it('there are such titles', () => expect(marked).toEqual(expect.arrayContaining(['kaiju no. 8', 'mob psycho 100', '1984', 're:zero', 'haikyu!!'])));

  it.each(marked)('"%s" alone is the series, no volume or number; with "vol 3" after it, volume 3', (name) => {
    const alone = ex.analyze(`is ${name} in stock?`).entities;
    expect(alone).toEqual([{ kind: 'product', value: normalizeForEntities(name) }]);
    expect(cache.extract(`is ${name} in stock?`).filter((e) => e.kind === 'number')).toEqual([]);
    const vol = ex.analyze(`${name} vol 3`).entities;
    expect(vol).toEqual(expect.arrayContaining([{ kind: 'product', value: normalizeForEntities(name) }, { kind: 'volume', value: '3' }]));
    expect(vol.filter((e) => e.kind === 'number')).toEqual([]);
    expect(cache.extract(`${name} vol 3`).filter((e) => e.kind === 'number')).toEqual([{ kind: 'number', value: '3' }]);
  });

  // Every catalog title with a digit or punctuation and a volume of its own, written whole: that volume, no stray number.
  const numbered = catalog.filter((c) => /\d/.test(c.title) && typeof c.volume === 'number' && !/\d+-\d+/.test(c.title));
  it.each(numbered.map((c) => [c.title, c.volume] as const))('"%s" is its series and volume %s', (title, volume) => {
    const es = ex.analyze(`is ${title} in stock?`).entities;
    expect(es).toContainEqual({ kind: 'product', value: series(title) });
    expect(es.filter((e) => e.kind === 'volume')).toEqual([{ kind: 'volume', value: String(volume) }]);
    expect(es.filter((e) => e.kind === 'number')).toEqual([]);
  });

  it('the region reads no volume from a title\'s own number, and the volume after it', () => {
    expect(region.index.volumeOf('is kaiju no. 8 in stock')).toBeNull();
    expect(region.index.volumeOf('mob psycho 100 price')).toBeNull();
    expect(region.index.volumeOf('kaiju no. 8 vol 2')).toBe(2);
    expect(region.index.match('kaiju no 8 vol 2', 1)[0].item.title).toBe('Kaiju No. 8, Vol. 2');
  });

  it('a count before "book" is no volume ("The Hunger Games 4-Book Paperback Box Set")', () => {
    expect(ex.analyze('is the hunger games 4-book paperback box set in stock').entities.filter((e) => e.kind === 'volume')).toEqual([]);
    expect(ex.analyze('do you have the Jujutsu Kaisen 0 book in stock').entities).toContainEqual({ kind: 'volume', value: '0' });
  });
});

describe('one reader of list positions', () => {
  it('reads a position with its head word, the same for edge and region', () => {
    expect(listPositionIn(tokens('is the second option in stock'))).toEqual({ n: 2, start: 1, end: 4 });
    expect(listPositionIn(tokens('the cheaper pick please'))).toEqual({ n: 0, start: 0, end: 3, price: 'low' });
    expect(listPositionIn(tokens('and the last one'), { headed: true })).toEqual({ n: -1, start: 1, end: 4 });
    // headed: a head word must follow, and "the other one" is the edge's alone
    expect(listPositionIn(tokens('the second'), { headed: true })).toBeNull();
    expect(listPositionIn(tokens('the other one'), { headed: true })).toBeNull();
    expect(listPositionIn(tokens('the other one'))).toEqual({ n: 0, start: 0, end: 3 });
  });

  it('the edge picks "the second option" from a list the shopper named', () => {
    const turns: ContextTurn[] = [];
    for (const m of ['is dune or frieren cheaper', 'is the second option in stock']) {
      const r = resolveFollowUp(m, turns, ex);
      turns.push({ text: r.text, entities: r.entities, intent: 'price_availability' });
    }
    expect(turns[1].entities).toEqual(expect.arrayContaining([{ kind: 'product', value: 'frieren' }]));
  });
});
