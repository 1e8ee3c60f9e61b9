/**
 * Everything the device needs to answer on its own, built once per page (and shared by every
 * widget on it): the models, the store's routing rules and templates (FAQ questions embedded
 * once), the dialogue entity extractor (follow-ups and cache keys), and the semantic cache over IndexedDB (in memory when IndexedDB
 * is unavailable). A failure anywhere leaves the device `edge-only`, with the reason.
 */
import { TemplateAnswers } from '../../shared/answers/template-answers.ts';
import { AspectDetector } from '../../shared/cache/aspects.ts';
import { MemoryCacheStorage } from '../../shared/cache/memory-storage.ts';
import { SemanticCache, type CacheStorage } from '../../shared/cache/semantic-cache.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { DialogueEntities } from '../../shared/conversation/dialogue-entities.ts';
import { IdbCacheStorage } from './cache/idb-cache-storage.ts';
import type { DeviceContext } from './chat/device-answer.ts';
import { loadDeviceModels, nextTask, type DeviceState } from './runtime/device-models.ts';
import type { BackendPreference } from './runtime/ort-backend.ts';
import { storeData } from './store-data.ts';

export interface Device {
  state: DeviceState;
  ctx: DeviceContext | null;
  /** ms from the start of loading until the device could answer (or gave up). */
  readyMs: number;
  /** Where the local cache lives: "indexeddb" or "memory". */
  cacheStorage?: 'indexeddb' | 'memory';
}

const loads = new Map<string, Promise<Device>>();

export function loadDevice(opts: { baseUrl: URL; prefer: BackendPreference; budgetMs: number }): Promise<Device> {
  const key = `${opts.baseUrl.href}|${opts.prefer}|${opts.budgetMs}`;
  let p = loads.get(key);
  if (!p) {
    p = build(opts);
    loads.set(key, p);
  }
  return p;
}

async function build(opts: { baseUrl: URL; prefer: BackendPreference; budgetMs: number }): Promise<Device> {
  const t0 = performance.now();
  const state = await loadDeviceModels(opts);
  if (state.status !== 'ready') return { state, ctx: null, readyMs: performance.now() - t0 };
  const m = state.models;
  try {
    // routes.json is validated when the bundle is built (browser/build.ts); here only that it
    // covers this classifier's labels.
    const routes = storeData.routes;
    const missing = m.classifier.labels.filter((l) => !routes.intents[l]);
    if (missing.length) throw Object.assign(new Error(`routing rules lack intents: ${missing.join(', ')}`), { code: 'ROUTING_CONFIG_INVALID' });
    const templates = new TemplateAnswers(storeData.templates, storeData.faq);
    await nextTask();
    await templates.prepare((t) => m.embedder.embed(t));
    await nextTask();
    let storage: CacheStorage;
    let where: Device['cacheStorage'] = 'indexeddb';
    try {
      storage = await IdbCacheStorage.open();
    } catch {
      storage = new MemoryCacheStorage();
      where = 'memory';
    }
    const cache = new SemanticCache(storage, {
      modelVersion: m.embedderVersion,
      dimensions: m.dimensions,
      thresholds: storeData.cache.thresholds,
      aspects: new AspectDetector(storeData.cache.aspects),
      refreshMs: storeData.cache.refreshMs,
    });
    await cache.ready().catch(() => undefined);
    const dialogue = new DialogueEntities(storeGazetteer(storeData.entityTerms, storeData.catalog), storeData.conversation, storeData.entityPatterns);
    return { state, ctx: { models: m, routes, templates, cache, dialogue }, readyMs: performance.now() - t0, cacheStorage: where };
  } catch (e) {
    const err = e as Error & { code?: string };
    return {
      state: { status: 'edge-only', code: err.code ?? 'DEVICE_SETUP_FAILED', reason: err.message, backend: m.backend, timings: m.timings, transfer: m.transfer },
      ctx: null,
      readyMs: performance.now() - t0,
    };
  }
}
