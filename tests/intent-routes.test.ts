import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIntentRoutes, routeFor, RoutingConfigError } from '../shared/routing/intent-routes.ts';
import { datasetLabels, repoRoot } from '../models/pipeline/datasets.ts';
import { storeIntents } from '../models/pipeline/store-data.ts';

const raw = JSON.parse(readFileSync(join(repoRoot(), 'domains', 'kitsune-books', 'routes.json'), 'utf8'));

describe('intent routing rules', () => {
  it('the store config covers every intent of the store data', () => {
    const routes = parseIntentRoutes(raw, datasetLabels(storeIntents()));
    expect(routeFor(routes, 'greeting_chitchat', true)).toBe('template');
    expect(routeFor(routes, 'shipping_info', true)).toBe('cache');
    expect(routeFor(routes, 'order_status', true)).toBe('llm');
  });

  it('sends unconfident and unknown intents to the LLM', () => {
    const routes = parseIntentRoutes(raw);
    expect(routeFor(routes, 'greeting_chitchat', false)).toBe('llm');
    expect(routeFor(routes, 'no_such_intent', true)).toBe('llm');
  });

  it('rejects bad configs with a clear, coded error', () => {
    expect(() => parseIntentRoutes({ domain: 'x', intents: { a: { route: 'teleport', description: '' } } })).toThrow(/intents\.a\.route/);
    expect(() => parseIntentRoutes({ domain: 'x', intents: { a: { route: 'cacheable', description: '' } } })).toThrow(/cacheTtlSeconds/);
    expect(() => parseIntentRoutes(raw, ['greeting_chitchat', 'refund_fraud'])).toThrow(/refund_fraud/);
    expect(() => parseIntentRoutes(null)).toThrow(RoutingConfigError);
    expect(() => parseIntentRoutes(null)).toThrow(expect.objectContaining({ code: 'ROUTING_CONFIG_INVALID' }));
  });
});
