/**
 * Cache warming (shared/cache/warm-from-faq.ts) on the store's own pack with the real embedder:
 * the FAQ answers of cacheable intents are hits for their questions and close paraphrases under
 * the same key frame, never for another destination or another intent, expire with the intent's
 * TTL, and warming twice writes nothing new.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import catalog from '../domains/kitsune-books/kb/catalog.json' with { type: 'json' };
import terms from '../domains/kitsune-books/entities.json' with { type: 'json' };
import conversation from '../domains/kitsune-books/conversation.json' with { type: 'json' };
import cacheConfig from '../domains/kitsune-books/cache.json' with { type: 'json' };
import cacheAspects from '../domains/kitsune-books/cache-aspects.json' with { type: 'json' };
import { AspectDetector } from '../shared/cache/aspects.ts';
import { parseCacheAspects } from '../shared/cache/aspects-schema.ts';
import { MemoryCacheStorage } from '../shared/cache/memory-storage.ts';
import { SemanticCache, type CacheThresholds } from '../shared/cache/semantic-cache.ts';
import { warmEntryId, warmFromFaq, type WarmFaqEntry } from '../shared/cache/warm-from-faq.ts';
import { entityPatternsOf, gazetteerOf } from '../shared/cache/entities.ts';
import { dialogueEntitiesFor } from '../shared/conversation/conversation-data.ts';
import { resolveFollowUp } from '../shared/conversation/follow-up.ts';
import { parseIntentRoutes } from '../shared/routing/intent-routes.ts';
import { loadSentenceEmbedder } from '../regional/src/inference/load-node.ts';

const pack = 'domains/kitsune-books';
const faq: WarmFaqEntry[] = JSON.parse(readFileSync(`${pack}/kb/faq.json`, 'utf8'));
const domain = JSON.parse(readFileSync(`${pack}/domain.json`, 'utf8'));
const routes = parseIntentRoutes({ domain: domain.name, intents: domain.intents });
const dialogue = dialogueEntitiesFor(gazetteerOf(terms), catalog, conversation, entityPatternsOf(terms.patterns));

describe('cache warming from the FAQ', () => {
  let embed: (t: string[]) => Promise<Float32Array[]>;
  let storage: MemoryCacheStorage;
  let cache: SemanticCache;
  const now = 1_000_000;
  const newCache = () =>
    new SemanticCache(storage, { modelVersion: 'emb', dimensions: 100, thresholds: cacheConfig.thresholds as CacheThresholds, aspects: new AspectDetector(parseCacheAspects(cacheAspects)) });
  const ask = async (text: string, intent: string, at = now + 1) => {
    const [v] = await embed([text]);
    return (await cache.lookup(v, cache.frame(text, intent, resolveFollowUp(text, [], dialogue).entities), { now: at })).hit;
  };

  beforeAll(async () => {
    const emb = await loadSentenceEmbedder('models/default/embedder');
    embed = (t) => emb.embed(t);
    storage = new MemoryCacheStorage();
    cache = newCache();
    const written = await warmFromFaq(cache, { faq, routes, dialogue, embed, now });
    expect(written).toBe(faq.filter((f) => routes.intents[f.intent].route === 'cacheable').length);
  }, 60_000);

  it('answers a FAQ question of a cacheable intent, and a close rewording, with the FAQ answer', async () => {
    const alaska = faq.find((f) => f.id === 'faq-003')!;
    expect((await ask(alaska.question, 'shipping_info'))?.answer.answer).toBe(alaska.answer);
    const pay = faq.find((f) => f.id === 'faq-031')!;
    const hit = await ask('which payment methods do you accept?', 'purchase_help');
    expect(hit?.id).toBe(warmEntryId('faq-031'));
    expect(hit?.answer.sources).toEqual(['faq-031']);
    expect(hit?.answer.answer).toBe(pay.answer);
  });

  it('never answers another destination, another intent, or an intent that is not cacheable', async () => {
    expect(await ask('Do you ship to Alaska?', 'shipping_info')).toBeNull(); // faq-003 names Alaska and Hawaii: another key frame
    expect(await ask('What payment methods do you accept?', 'shipping_info')).toBeNull();
    expect(cache.has(warmEntryId(faq.find((f) => routes.intents[f.intent].route !== 'cacheable')!.id))).toBe(false);
    // Questions of the same key frame that the per-intent threshold would have let through (seen in the traffic replay).
    for (const q of ['do you ship to military bases', 'Can you ship to a freight forwarder?', 'is there flat rate shipping?']) expect(await ask(q, 'shipping_info'), q).toBeNull();
  });

  it("expires with the intent's TTL, and warming again writes nothing while the entries live", async () => {
    const ttl = routes.intents.shipping_info.cacheTtlSeconds! * 1000;
    expect(await ask('Which carriers do you use?', 'shipping_info', now + ttl + 1)).toBeNull();
    expect(await warmFromFaq(cache, { faq, routes, dialogue, embed, now: now + 10 })).toBe(0);
    // Another isolate over the same storage loads the warmed rows and writes none again.
    cache = newCache();
    expect(await warmFromFaq(cache, { faq, routes, dialogue, embed, now: now + 20 })).toBe(0);
    expect((await ask('Which carriers do you use?', 'shipping_info', now + 30))?.id).toBe(warmEntryId('faq-008'));
  });
});
