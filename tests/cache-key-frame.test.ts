/**
 * Key frames on the store's own data: which questions may share a cached answer (same intent,
 * entity signature, aspect, no conflicting qualifier) and which never do. The sentences here are
 * written for this test, apart from the paraphrase set and the intent data.
 */
import { describe, expect, it } from 'vitest';
import aspectsJson from '../domains/kitsune-books/cache-aspects.json' with { type: 'json' };
import catalog from '../domains/kitsune-books/kb/catalog.json' with { type: 'json' };
import entityTerms from '../domains/kitsune-books/entities.json' with { type: 'json' };
import conversation from '../domains/kitsune-books/conversation.json' with { type: 'json' };
import { AspectDetector, withinOneEdit } from '../shared/cache/aspects.ts';
import { parseCacheAspects } from '../shared/cache/aspects-schema.ts';
import { EntityExtractor, entityPatternsOf, gazetteerOf } from '../shared/cache/entities.ts';
import { frameKey, frameTag, keyFrame, parseFrameKey } from '../shared/cache/key-frame.ts';
import { storeGazetteer } from '../shared/cache/store-gazetteer.ts';
import { framesCompatible } from '../models/eval/cache-keys-eval.ts';
import { domainKeying } from '../models/eval/score-cache-pairs.ts';

const aspects = new AspectDetector(parseCacheAspects(aspectsJson, ['shipping_info', 'purchase_help', 'product_question']));
const extractor = new EntityExtractor(storeGazetteer(gazetteerOf(entityTerms), catalog, conversation), entityPatternsOf(entityTerms.patterns));
const frame = (intent: string, text: string) => keyFrame(text, intent, extractor.extract(text), aspects);
const same = (intent: string, a: string, b: string) => framesCompatible(frame(intent, a), frame(intent, b));

describe('key frames: paraphrases share a frame', () => {
  const positives: [string, string, string][] = [
    ['shipping_info', 'Do you ship to Alaska?', 'Can you deliver books to Alaska?'],
    ['shipping_info', 'Do you ship to Alaska?', 'do u ship orders to alaska'],
    ['shipping_info', 'How long does shipping to Canada take?', "What's the delivery time for Canada?"],
    ['shipping_info', 'how long till a parcel gets to Japan', 'Japan — how many days in transit?'],
    ['shipping_info', 'what does it cost to mail books to Germany', 'shipping fee for germany??'],
    ['shipping_info', 'how much is standard shipping to Texas', 'How much does delivery to Texas cost?'],
    ['shipping_info', 'If I order today, when does it arrive in Oregon?', 'how long does delivery to oregon take'],
    ['shipping_info', 'express shipping price for the UK', 'how much does expedited delivery to Britain cost'],
    ['shipping_info', 'do I owe customs duties in Australia', 'will Australian import taxes be charged on my order in australia'],
    ['purchase_help', 'How do I use a promo code?', 'where do I enter a discount code?'],
    ['purchase_help', 'where does the coupon go', 'how can I redeem a voucher'],
    ['purchase_help', 'do you take paypal', 'can i check out with PayPal pls'],
    ['purchase_help', 'my card got declined at checkout', 'payment failed on the checkout page'],
    ['purchase_help', 'Can I buy as a guest?', 'do I have to create an account to order'],
    ['product_question', 'what format is the Berserk deluxe edition?', 'Is the Berserk Deluxe Edition a hardcover?'],
    ['product_question', 'Is Frieren ok for a 10 year old?', 'is frieren appropriate for a 10 yo'],
    ['product_question', 'who made Frieren?', 'who wrote frieren'],
    ['product_question', 'Blue Period, made by whom?', 'who is the author of Blue Period'],
    ['product_question', "what's Monster about", 'give me the premise of Monster'],
    ['product_question', 'who wrote Vinland Saga', 'Vinland Saga author?'],
    ['product_question', 'is Naruto hardcover or paperback', 'what binding is Naruto'],
    ['product_question', 'how many volumes does Blue Lock have', 'is blue lock finished or still ongoing'],
  ];
  it.each(positives)('%s: "%s" ~ "%s"', (intent, a, b) => {
    expect(same(intent, a, b)).toBe(true);
  });
});

describe('key frames: hard negatives never share a frame', () => {
  const negatives: [string, string, string][] = [
    ['shipping_info', 'Do you ship to Alaska?', 'Do you ship to Hawaii?'],
    ['shipping_info', 'how much is shipping to Canada', 'how long does shipping to Canada take'],
    ['shipping_info', 'how much is shipping to Canada', 'how much is express shipping to Canada'],
    ['shipping_info', 'how fast is overnight to New York', 'how fast is standard shipping to New York'],
    ['shipping_info', 'do you ship to Japan', 'how much is shipping to Japan'],
    ['shipping_info', 'what carrier do you use for Mexico', 'how much is shipping to Mexico'],
    ['shipping_info', 'shipping cost to Ireland', 'are customs fees included for Ireland'],
    ['shipping_info', 'do you ship to the UK', 'do you ship to the US'],
    ['purchase_help', 'how do I use a promo code', 'my promo code is not working'],
    ['purchase_help', 'do you accept PayPal', 'do you accept Apple Pay'],
    ['purchase_help', 'do you accept PayPal', 'my PayPal payment keeps failing'],
    ['purchase_help', 'how do I use a gift card', 'how do I use a promo code'],
    ['purchase_help', 'can I check out as a guest', 'what payment methods do you take'],
    ['product_question', 'Is the Berserk Deluxe Edition a hardcover?', 'What is the age rating of the Berserk Deluxe Edition?'],
    ['product_question', 'Is the Berserk Deluxe Edition a hardcover?', 'Is the Berserk Deluxe Edition a paperback?'],
    ['product_question', 'what is One Piece volume 1 about', 'what is One Piece volume 2 about'],
    ['product_question', 'who wrote Frieren', 'what is Frieren about'],
    // who made a title is its own question, not the open one ("is it any good?")
    ['product_question', 'who made Frieren?', 'is Frieren any good?'],
    ['product_question', 'Blue Period, made by whom?', 'tell me more on Blue Period'],
    ['product_question', 'is Chainsaw Man in English', 'is Chainsaw Man in Japanese'],
    ['product_question', 'is Dandadan ok for a 12 year old', 'is Dandadan ok for a 16 year old'],
    ['product_question', 'how many pages is Nana', 'how many volumes does Nana have'],
    ['product_question', 'what format is Monster', 'what format is Vagabond'],
  ];
  it.each(negatives)('%s: "%s" ≠ "%s"', (intent, a, b) => {
    expect(same(intent, a, b)).toBe(false);
    expect(same(intent, b, a)).toBe(false);
  });
});

describe('aspect detection', () => {
  it('names the aspect, the qualifier and the cues that chose them', () => {
    const f = frame('product_question', 'Is the Berserk Deluxe Edition a hardback?');
    expect(f).toMatchObject({ intent: 'product_question', aspect: 'format', qualifier: 'hardcover', entities: 'product:berserk|term:deluxe edition' });
    expect(f.cues).toContain('hardback');
    // two values offer a choice: the open question, no qualifier
    expect(frame('product_question', 'is Saga hardcover or paperback').qualifier).toBe('');
  });

  it('falls back to the intent\'s fallback aspect, and has none for intents without aspects', () => {
    expect(frame('shipping_info', 'Can you send manga to Guam?').aspect).toBe('availability');
    expect(frame('purchase_help', 'how do I order a book').aspect).toBe('how_to_buy');
    expect(frame('order_status', 'where is my order KB-12345')).toMatchObject({ aspect: '', qualifier: '', entities: 'order:kb-12345' });
  });

  it('combines aspects that modify each other and lets a precise one win over context', () => {
    expect(frame('shipping_info', 'how much is express to canada').aspect).toBe('cost+express');
    expect(frame('purchase_help', 'my Visa payment was declined').aspect).toBe('checkout_problem');
    expect(frame('purchase_help', 'add a coupon to my cart').aspect).toBe('promo');
    expect(frame('shipping_info', 'are import taxes charged on orders to Spain').aspect).toBe('customs');
  });

  it('absorbs entity values the aspect already says (and the default shipping method)', () => {
    expect(frame('purchase_help', 'how do I apply a promo code').entities).toBe('');
    expect(frame('shipping_info', 'standard shipping price to Ohio').entities).toBe('place:ohio');
    expect(frame('shipping_info', 'express shipping price to Ohio').entities).toBe('place:ohio');
    expect(frame('shipping_info', 'express shipping price to Ohio').aspect).toBe('cost+express');
  });

  it('tolerates one typo in long cue words, not in short ones', () => {
    expect(frame('shipping_info', 'whats the delivry time to canada').aspect).toBe('time');
    expect(frame('purchase_help', 'my paymnet got declned').aspect).toBe('checkout_problem');
    expect(withinOneEdit('shipping', 'shiping')).toBe(true);
    expect(withinOneEdit('shipping', 'shpiping')).toBe(true);
    expect(withinOneEdit('shipping', 'shopping')).toBe(true);
    expect(withinOneEdit('shipping', 'sipping')).toBe(true);
    expect(withinOneEdit('shipping', 'shoppin')).toBe(false);
    // "books" is not one typo from "ebooks": 5-letter words never match fuzzily
    expect(frame('product_question', 'how many books are in the Saga series').qualifier).toBe('');
  });

  it('says "within one edit" exactly when the optimal-string-alignment distance is at most 1', () => {
    // The full distance (insert, delete, substitute, swap two neighbours), as a table, for reference.
    const osa = (a: string, b: string): number => {
      const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
      for (let i = 1; i <= a.length; i++)
        for (let j = 1; j <= b.length; j++) {
          d[i][j] = Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
          if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
        }
      return d[a.length][b.length];
    };
    // Every pair of short words over a three-letter alphabet: all the edits, at every position, and many non-edits.
    const words = [''];
    for (let n = 0; n < 4; n++) for (const w of words.filter((x) => x.length === n)) for (const c of 'abc') words.push(w + c);
    let within = 0;
    for (const a of words)
      for (const b of words) {
        expect(withinOneEdit(a, b), `${a} / ${b}`).toBe(osa(a, b) <= 1);
        if (a !== b && withinOneEdit(a, b)) within++;
      }
    expect(within).toBeGreaterThan(1000);
  });
});

describe('stored frame keys', () => {
  it('round-trips and keeps keys written before frames apart', () => {
    const f = frame('product_question', 'is Frieren vol 3 a paperback');
    const back = parseFrameKey(frameKey(f));
    expect(back).toEqual({ tag: frameTag(f), qualifier: 'paperback' });
    expect(parseFrameKey('place:alaska').tag).not.toBe(frameTag({ aspect: 'availability', entities: 'place:alaska' }));
    // an entity signature with a date's slash still round-trips
    expect(parseFrameKey(frameKey({ aspect: 'time', qualifier: '', entities: 'date:12/24|place:canada' }))).toEqual({ tag: 'time#date:12/24|place:canada', qualifier: '' });
  });
});

describe('cache aspects schema', () => {
  it('refuses malformed aspects and missing cacheable intents with a code', () => {
    expect(() => parseCacheAspects({ intents: { x: { fallback: 'general', aspects: { cost: { cues: [] } } } } })).toThrow(/cues/);
    expect(() => parseCacheAspects({ intents: { x: { fallback: 'cost', aspects: { cost: { cues: ['price'] } } } } })).toThrow(/fallback/);
    expect(() => parseCacheAspects({ intents: { x: { fallback: 'General Info', aspects: {} } } })).toThrow(/lower-case/);
    expect(() => parseCacheAspects(aspectsJson, ['shipping_info', 'gift_wrapping'])).toThrow(expect.objectContaining({ code: 'CACHE_ASPECTS_INVALID' }));
  });
});

describe('key frames from the edge\'s dialogue entities (what a resolved message carries)', () => {
  const k = domainKeying('domains/kitsune-books', 'domains/kitsune-books');
  const df = (intent: string, text: string) => keyFrame(text, intent, k.frameEntities(text), k.aspects);
  const dsame = (intent: string, a: string, b: string) => framesCompatible(df(intent, a), df(intent, b));
  it('keeps the same paraphrases together and the same hard negatives apart', () => {
    expect(dsame('product_question', 'Is the Berserk Deluxe Edition a hardcover?', 'what format is the Berserk deluxe edition?')).toBe(true);
    expect(dsame('product_question', 'Is the Berserk Deluxe Edition a hardcover?', 'is the Berserk Deluxe Edition a paperback?')).toBe(false);
    expect(dsame('product_question', 'what happens in Frieren volume 1', 'what happens in Frieren volume 2')).toBe(false);
    expect(dsame('product_question', 'is Spy x Family in English', 'what language is Spy x Family in')).toBe(true);
    expect(dsame('shipping_info', 'Do you ship to the UK?', 'can you deliver to Britain')).toBe(true);
    expect(dsame('shipping_info', 'Do you ship to the UK?', 'Do you ship to Ireland?')).toBe(false);
    expect(dsame('shipping_info', 'how much is express to Japan', 'how much is shipping to Japan')).toBe(false);
    expect(df('product_question', 'Is the Berserk Deluxe Edition a hardcover?').entities).not.toMatch(/hardcover/);
  });
});

describe('a total of titles is not their prices (cache-aspects.json price_availability; eval/dialogues-holdout5.jsonl)', () => {
  const all = new AspectDetector(parseCacheAspects(aspectsJson));
  const priced = (text: string) => keyFrame(text, 'price_availability', extractor.extract(text), all);
  it('keys "how much for both" apart from the question that listed them, and the same prices alike', () => {
    const listed = 'do you have one piece vol 1 in english and japanese';
    expect(framesCompatible(priced(listed), priced(`how much for both — ${listed}`))).toBe(false);
    expect(framesCompatible(priced('how much is dune'), priced('dune price?'))).toBe(true);
  });
});
