/** Remembered answers (the LLM-timeout fallback) over a real SQLite store: what is written, what is found. */
import { afterEach, describe, expect, it } from 'vitest';
import { FallbackAnswers } from '../regional/src/generate/fallback-answers.ts';
import { openStore } from '../regional/src/store/open.ts';
import type { Store } from '../regional/src/store/types.ts';

const answer = (question: string, text: string, at = 0) => ({ question, text, sources: ['faq-001'], at });

describe('FallbackAnswers', () => {
  let store: Store;
  afterEach(async () => store?.close());

  it('stores one answer per question, skips unchanged rewrites and writes at most once a second per intent', async () => {
    store = await openStore(':memory:', { dimensions: 4, embeddingVersion: 't', domain: 'test' });
    let now = 10_000;
    const errors: unknown[] = [];
    const fa = new FallbackAnswers(store, { now: () => now, onStoreError: (e) => errors.push(e) });
    fa.remember('shipping_info', answer('how much is shipping to alaska?', 'Alaska: $12.99.', 1));
    await fa.flushed();
    const first = await store.recentAnswers('shipping_info', 10);
    expect(first.map((a) => a.text)).toEqual(['Alaska: $12.99.']);
    now += 5_000;
    fa.remember('shipping_info', answer('How much is shipping to Alaska', 'Alaska: $12.99.', 2)); // same question, same answer
    await fa.flushed();
    expect((await store.recentAnswers('shipping_info', 10)).map((a) => a.id)).toEqual(first.map((a) => a.id));
    fa.remember('shipping_info', answer('do you ship to canada?', 'Canada: $19.99.', 3));
    fa.remember('shipping_info', answer('do you ship to hawaii?', 'Hawaii: $12.99.', 4)); // within the second: memory only
    await fa.flushed();
    expect((await store.recentAnswers('shipping_info', 10)).map((a) => a.text)).toEqual(['Canada: $19.99.', 'Alaska: $12.99.']);
    // This process finds all three; a fresh one on the same database the two stored.
    expect((await fa.find('shipping_info', 'can you ship to hawaii'))?.text).toBe('Hawaii: $12.99.');
    const fresh = new FallbackAnswers(store);
    expect((await fresh.find('shipping_info', 'can you ship to hawaii'))?.text).not.toBe('Hawaii: $12.99.');
    expect((await fresh.find('shipping_info', 'what does shipping to canada cost'))?.text).toBe('Canada: $19.99.');
    expect(await fresh.find('returns', 'can I return it')).toBeNull();
    expect(await fresh.find(undefined, 'x')).toBeNull();
    expect(errors).toEqual([]);
  });

  it('answers from memory when the store fails, and reports it', async () => {
    store = await openStore(':memory:', { dimensions: 4, embeddingVersion: 't', domain: 'test' });
    const errors: unknown[] = [];
    let now = 0;
    const fa = new FallbackAnswers(store, { now: () => now, onStoreError: (e) => errors.push(e) });
    fa.remember('order_status', answer('where is my order?', 'Track it at /orders.'));
    await fa.flushed();
    await store.close();
    expect((await fa.find('order_status', 'where is my order now'))?.text).toBe('Track it at /orders.');
    expect(errors).toHaveLength(1);
    now += 2_000;
    fa.remember('order_status', answer('has my order shipped?', 'See /orders.'));
    await fa.flushed();
    expect(errors).toHaveLength(2);
  });
});

describe.each(['sqlite', 'postgres'] as const)('forgetting remembered answers on %s', (dialect) => {
  it('forgets one answer by id or an intent’s, in the store and in memory', async () => {
    const { tempDatabase } = await import('./helpers/temp-database.ts');
    const db = await tempDatabase(dialect, 'sy-forget-');
    const store = await openStore(db.url, { dimensions: 4, embeddingVersion: 't', domain: 'test' });
    try {
      const fa = new FallbackAnswers(store, { minWriteIntervalMs: 0 });
      fa.remember('shipping_info', answer('shipping to alaska?', 'Alaska: $12.99.'));
      await fa.flushed();
      fa.remember('shipping_info', answer('shipping to canada?', 'Canada: $14.99.'));
      await fa.flushed();
      fa.remember('return_policy', answer('return window?', '30 days.'));
      await fa.flushed();
      const [canada, alaska] = await store.recentAnswers('shipping_info', 10);
      expect([canada.question, alaska.question]).toEqual(['shipping to canada?', 'shipping to alaska?']);
      expect((await fa.forget({ id: alaska.id })).map((r) => r.id)).toEqual([alaska.id]);
      expect((await fa.forget({ id: alaska.id })).length).toBe(0);
      expect((await fa.find('shipping_info', 'shipping to alaska?'))?.text).toBe('Canada: $14.99.'); // the other one, not the forgotten
      expect((await fa.forget({ intent: 'shipping_info' })).length).toBe(1);
      expect(await fa.find('shipping_info', 'shipping to canada?')).toBeNull();
      expect((await fa.find('return_policy', 'return window?'))?.text).toBe('30 days.');
    } finally {
      await store.close();
      await db.cleanup();
    }
  });
});
