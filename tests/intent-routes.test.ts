import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIntentRoutes, reusesAnswers, routeFor, RoutingConfigError } from '../shared/routing/intent-routes.ts';
import { datasetLabels, repoRoot } from '../models/pipeline/datasets.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';

const raw = JSON.parse(readFileSync(join(repoRoot(), 'domains', 'kitsune-books', 'routes.json'), 'utf8'));

describe('intent routing rules', () => {
  it('the store config covers every intent of the store data', () => {
    const routes = parseIntentRoutes(raw, datasetLabels(storeIntents()));
    expect(routeFor(routes, 'greeting_chitchat', true)).toBe('template');
    expect(routeFor(routes, 'shipping_info', true)).toBe('cache');
    expect(routeFor(routes, 'recommendation', true)).toBe('llm');
    // An order intent goes to the region (its order lookup) with an order id, else its template asks for one; never the cache.
    expect(routes.intents.order_status.route).toBe('order');
    expect(routeFor(routes, 'order_status', true, [{ kind: 'order' }])).toBe('llm');
    expect(routeFor(routes, 'order_status', true, [{ kind: 'number' }])).toBe('template');
    expect(routeFor(routes, 'order_status', false, [{ kind: 'order' }])).toBe('llm');
    expect(reusesAnswers('order')).toBe(false);
    // A catalog intent is looked up in the cache first (its catalog answer is kept for its TTL).
    expect(routes.intents.price_availability.route).toBe('catalog');
    expect(routeFor(routes, 'price_availability', true)).toBe('cache');
    expect([reusesAnswers('catalog'), reusesAnswers('cacheable'), reusesAnswers('llm'), reusesAnswers('template')]).toEqual([true, true, false, false]);
  });

  it('sends unconfident and unknown intents to the LLM', () => {
    const routes = parseIntentRoutes(raw);
    expect(routeFor(routes, 'greeting_chitchat', false)).toBe('llm');
    expect(routeFor(routes, 'no_such_intent', true)).toBe('llm');
  });

  it('rejects bad configs with a clear, coded error', () => {
    expect(() => parseIntentRoutes({ domain: 'x', intents: { a: { route: 'teleport', description: '' } } })).toThrow(/intents\.a\.route/);
    expect(() => parseIntentRoutes({ domain: 'x', intents: { a: { route: 'cacheable', description: '' } } })).toThrow(/cacheTtlSeconds/);
    expect(() => parseIntentRoutes({ domain: 'x', intents: { a: { route: 'catalog', description: '' } } })).toThrow(/a catalog intent needs cacheTtlSeconds/);
    expect(() => parseIntentRoutes(raw, ['greeting_chitchat', 'refund_fraud'])).toThrow(/refund_fraud/);
    expect(() => parseIntentRoutes(null)).toThrow(RoutingConfigError);
    expect(() => parseIntentRoutes(null)).toThrow(expect.objectContaining({ code: 'ROUTING_CONFIG_INVALID' }));
  });
});
