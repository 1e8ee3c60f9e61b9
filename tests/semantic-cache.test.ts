import { describe, expect, it } from 'vitest';
import catalog from '../domains/kitsune-books/kb/catalog.json' with { type: 'json' };
import entityTerms from '../domains/kitsune-books/entities.json' with { type: 'json' };
import conversation from '../domains/kitsune-books/conversation.json' with { type: 'json' };
import { EntityExtractor, entityPatternsOf, gazetteerOf } from '../shared/cache/entities.ts';
import { MemoryCacheStorage } from '../shared/cache/memory-storage.ts';
import { SemanticCache } from '../shared/cache/semantic-cache.ts';
import { storeGazetteer } from '../shared/cache/store-gazetteer.ts';
import { VectorIndex } from '../shared/cache/vector-index.ts';
import { mulberry32 } from '../models/pipeline/datasets.ts';

const extractor = new EntityExtractor(storeGazetteer(gazetteerOf(entityTerms), catalog, conversation), entityPatternsOf(entityTerms.patterns));

function unit(rand: () => number, dim: number): Float32Array {
  const v = new Float32Array(dim);
  let n = 0;
  for (let i = 0; i < dim; i++) (v[i] = rand() * 2 - 1), (n += v[i] * v[i]);
  for (let i = 0; i < dim; i++) v[i] /= Math.sqrt(n);
  return v;
}

function near(v: Float32Array, rand: () => number, noise: number): Float32Array {
  const out = Float32Array.from(v, (x) => x + (rand() * 2 - 1) * noise);
  const n = Math.hypot(...out);
  return out.map((x) => x / n);
}

describe('entity signatures', () => {
  it('tells places, products, volumes, order ids, dates and domain terms apart', () => {
    const sig = (t: string) => extractor.signature(t);
    expect(sig('do you ship to Alaska?')).not.toBe(sig('do you ship to Hawaii?'));
    expect(sig('do you ship to Alaska?')).toBe(sig('Shipping to alaska — how much'));
    expect(sig('shipping to Washington DC')).toBe('place:district of columbia');
    expect(sig('is Berserk vol 3 in hardcover')).toBe('number:3|product:berserk|term:hardcover');
    expect(sig('is Berserk vol 3 in hardcover')).not.toBe(sig('is Berserk vol 4 in hardcover'));
    expect(sig('where is KB-12345')).toBe('order:kb-12345');
    expect(sig('where is order 12345')).toBe('order:kb-12345');
    expect(sig('can I pay with PayPal')).not.toBe(sig('can I pay with Apple Pay'));
    expect(sig('delivered by Dec 3')).toContain('date:december');
    expect(sig('what is your return window')).toBe('');
  });

  it('never throws on hostile input', () => {
    for (const t of ['', '\u0000\u0001', '😀'.repeat(5000), 'KB-'.repeat(10000), '$'.repeat(100000), 'ship to '.repeat(20000)]) {
      expect(typeof extractor.signature(t)).toBe('string');
    }
  });
});

describe('VectorIndex', () => {
  it('finds what an exhaustive scan finds once a partition switches to inverted lists', () => {
    const rand = mulberry32(7);
    const dim = 32;
    const idx = new VectorIndex({ dimensions: dim, ivfMinSize: 2000, nprobe: 12 });
    const vecs: Float32Array[] = [];
    for (let i = 0; i < 6000; i++) {
      const v = unit(rand, dim);
      vecs.push(v);
      idx.add(v, { id: `e${i}`, partition: 'p', tag: '', expiresAt: Infinity });
    }
    let found = 0;
    for (let q = 0; q < 200; q++) {
      const target = Math.floor(rand() * vecs.length);
      const query = near(vecs[target], rand, 0.05);
      const [hit] = idx.search(query, 'p', '', 0.9, 0, 1);
      if (hit?.item.id === `e${target}`) found++;
    }
    expect(found).toBeGreaterThanOrEqual(196);
  });

  it('filters by partition, tag and expiry, and forgets removed items', () => {
    const rand = mulberry32(1);
    const v = unit(rand, 16);
    const idx = new VectorIndex({ dimensions: 16 });
    idx.add(v, { id: 'a', partition: 'shipping', tag: 'place:alaska', expiresAt: 1000 });
    expect(idx.search(v, 'shipping', 'place:alaska', 0.99, 0)).toHaveLength(1);
    expect(idx.search(v, 'shipping', 'place:hawaii', 0.5, 0)).toHaveLength(0);
    expect(idx.search(v, 'returns', 'place:alaska', 0.5, 0)).toHaveLength(0);
    expect(idx.search(v, 'shipping', 'place:alaska', 0.5, 1000)).toHaveLength(0);
    idx.remove('a');
    expect(idx.search(v, 'shipping', 'place:alaska', 0.5, 0)).toHaveLength(0);
    expect(() => idx.add(new Float32Array(3), { id: 'b', partition: 'x', tag: '', expiresAt: 1 })).toThrow(/dimensions/);
  });

  it("scans a query's own frame bucket exactly, even in a partition of inverted lists, and keeps it right through removals", () => {
    const rand = mulberry32(11);
    const dim = 32;
    const idx = new VectorIndex({ dimensions: dim, ivfMinSize: 500, nprobe: 1 });
    // 3,000 entries in other frames make the partition use inverted lists (probing 1 list of ~55).
    for (let i = 0; i < 3000; i++) idx.add(unit(rand, dim), { id: `o${i}`, partition: 'p', tag: `t${i % 300}`, expiresAt: Infinity });
    const mine = Array.from({ length: 40 }, () => unit(rand, dim));
    mine.forEach((v, i) => idx.add(v, { id: `m${i}`, partition: 'p', tag: 'frame', expiresAt: Infinity }));
    // Every entry of the frame is found, whichever inverted list it fell in (an IVF probe of one list would miss most).
    expect(mine.every((v, i) => idx.search(v, 'p', 'frame', 0.99, 0, 1)[0]?.item.id === `m${i}`)).toBe(true);
    for (let i = 0; i < 30; i++) idx.remove(`m${i}`);
    expect(idx.search(mine[0], 'p', 'frame', -1, 0, 50).map((h) => h.item.id).sort()).toEqual(Array.from({ length: 10 }, (_, i) => `m${i + 30}`).sort());
    idx.add(mine[0], { id: 'm0', partition: 'p', tag: 'frame', expiresAt: Infinity });
    expect(idx.search(mine[0], 'p', 'frame', 0.99, 0, 1)[0]?.item.id).toBe('m0');
  });
});

describe('SemanticCache', () => {
  const opts = { modelVersion: 'emb@1', dimensions: 16, thresholds: { hit: 0.95, stale: 0.8 }, refreshMs: 0 };
  const frame = (intent: string, entities: string, aspect = 'availability', qualifier = '') => ({ intent, entities, aspect, qualifier });
  const alaska = frame('shipping_info', 'place:alaska');
  const entry = (vector: Float32Array, over: Partial<{ frame: ReturnType<typeof frame>; createdAt: number; expiresAt: number }> = {}) => ({
    frame: alaska,
    vector,
    question: 'do you ship to alaska',
    answer: 'Alaska: $12.99 flat rate.',
    sources: ['policies#shipping'],
    createdAt: 1000,
    expiresAt: 2000,
    ...over,
  });

  it('hits only within the TTL, the intent, the entities and the threshold', async () => {
    const rand = mulberry32(3);
    const v = unit(rand, 16);
    const cache = new SemanticCache(new MemoryCacheStorage(), opts);
    await cache.store(entry(v));
    expect((await cache.lookup(v, alaska, { now: 1500 })).hit?.answer.answer).toBe('Alaska: $12.99 flat rate.');
    expect((await cache.lookup(v, frame('shipping_info', 'place:hawaii'), { now: 1500 })).hit).toBeNull();
    expect((await cache.lookup(v, frame('purchase_help', 'place:alaska'), { now: 1500 })).hit).toBeNull();
    expect((await cache.lookup(v, frame('shipping_info', 'place:alaska', 'cost'), { now: 1500 })).hit).toBeNull();
    expect((await cache.lookup(v, alaska, { now: 2500 })).hit).toBeNull();
    const farther = near(v, rand, 0.35);
    const miss = await cache.lookup(farther, alaska, { now: 1500 });
    expect(miss.hit).toBeNull();
    // A miss says how near the nearest entry in the frame came, and against which threshold.
    expect(miss.similarity).toBeGreaterThan(0);
    expect(miss.similarity).toBeLessThan(0.95);
    expect(miss.threshold).toBe(0.95);
    // When the region is down: past TTL and below the hit threshold is acceptable, marked stale.
    const stale = await cache.lookup(v, alaska, { now: 2500, stale: true });
    expect(stale.hit?.stale).toBe(true);
  });

  /** A memory storage that counts its answer-text reads. */
  function countingAnswerReads() {
    const storage = new MemoryCacheStorage();
    let reads = 0;
    const getAnswer = storage.getAnswer.bind(storage);
    storage.getAnswer = (id) => (reads++, getAnswer(id));
    return { storage, answerReads: () => reads };
  }

  it('keeps at most answerCacheSize answer texts in memory, also of the answers it stored itself', async () => {
    const rand = mulberry32(5);
    const { storage, answerReads } = countingAnswerReads();
    const cache = new SemanticCache(storage, { ...opts, answerCacheSize: 2 });
    const vs = Array.from({ length: 5 }, () => unit(rand, 16));
    await cache.lookup(vs[0], alaska, { now: 1500 }); // loads the (empty) index first
    for (const [i, v] of vs.entries()) await cache.store(entry(v, { frame: frame('shipping_info', `place:p${i}`) }));
    // The two stored last are still in memory; the first went out and is read from storage again.
    for (const i of [3, 4]) expect((await cache.lookup(vs[i], frame('shipping_info', `place:p${i}`), { now: 1500 })).hit).not.toBeNull();
    expect(answerReads()).toBe(0);
    expect((await cache.lookup(vs[0], frame('shipping_info', 'place:p0'), { now: 1500 })).hit).not.toBeNull();
    expect(answerReads()).toBe(1);
  });

  it("answers a hit on another isolate's entry from the rows its refresh loaded, without reading the answer again", async () => {
    const rand = mulberry32(6);
    const { storage, answerReads } = countingAnswerReads();
    const v = unit(rand, 16);
    const other = unit(rand, 16);
    const here = new SemanticCache(storage, { ...opts, refreshMs: 100 });
    await here.lookup(v, alaska, { now: 1500 }); // loads the (empty) index
    await new SemanticCache(storage, opts).store(entry(v)); // another isolate stores it
    await here.lookup(other, frame('shipping_info', 'place:nowhere'), { now: 1600 }); // the refresh loads its row
    const hit = await here.lookup(v, alaska, { now: 1600 });
    expect(hit.hit?.answer.answer).toBe('Alaska: $12.99 flat rate.');
    expect(answerReads()).toBe(0);
  });

  it('ignores entries made by another embedding model version, and drops everything on invalidation', async () => {
    const rand = mulberry32(4);
    const v = unit(rand, 16);
    const storage = new MemoryCacheStorage();
    await new SemanticCache(storage, opts).store(entry(v));
    const newer = new SemanticCache(storage, { ...opts, modelVersion: 'emb@2' });
    expect((await newer.lookup(v, alaska, { now: 1500 })).hit).toBeNull();
    const same = new SemanticCache(storage, opts);
    expect((await same.lookup(v, alaska, { now: 1500 })).hit).not.toBeNull();
    // Another isolate invalidates; this one notices at its next refresh.
    expect(await new SemanticCache(storage, opts).invalidate()).toBe(1);
    expect((await same.lookup(v, alaska, { now: 1600 })).hit).toBeNull();
  });

  it('uses the intent\'s own hit threshold and keeps conflicting qualifiers apart', async () => {
    const rand = mulberry32(5);
    const v = unit(rand, 16);
    const cache = new SemanticCache(new MemoryCacheStorage(), { ...opts, thresholds: { hit: 0.999, stale: 0.8, intents: { product_question: 0.9 } } });
    const hardcover = frame('product_question', 'product:berserk', 'format', 'hardcover');
    await cache.store(entry(v, { frame: hardcover }));
    const q = near(v, rand, 0.05);
    const open = await cache.lookup(q, frame('product_question', 'product:berserk', 'format'), { now: 1500 });
    expect(open.threshold).toBe(0.9);
    expect(open.hit).not.toBeNull(); // "what format is it" may reuse "is it a hardcover"
    expect((await cache.lookup(q, frame('product_question', 'product:berserk', 'format', 'paperback'), { now: 1500 })).hit).toBeNull();
    expect((await cache.lookup(q, hardcover, { now: 1500 })).hit).not.toBeNull();
    // Intents without their own threshold keep the global one.
    expect(cache.hitThreshold('shipping_info')).toBe(0.999);
  });

  it('never matches entries stored under a bare entity signature (before key frames)', async () => {
    const storage = new MemoryCacheStorage();
    const v = unit(mulberry32(6), 16);
    await storage.put({ id: 'old', modelVersion: 'emb@1', intent: 'shipping_info', entitySig: 'place:alaska', vector: v, question: 'q', answer: 'a', sources: [], createdAt: 1000, expiresAt: 2000 });
    const cache = new SemanticCache(storage, opts);
    const l = await cache.lookup(v, alaska, { now: 1500 });
    expect(l.hit).toBeNull();
    expect(l.similarity).toBeNull();
  });
});
