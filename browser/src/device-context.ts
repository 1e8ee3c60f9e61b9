/**
 * Everything the device needs to answer on its own, built once per page (and shared by every
 * widget on it): the models, the store's routing rules and templates, the dialogue entity
 * extractor (follow-ups and cache keys), and, once a question needs the embedder
 * (`Device.loadEmbedder`), FAQ matching (the FAQ questions embedded once) and the semantic cache
 * over IndexedDB (in memory when IndexedDB is unavailable). Until then templates answer from
 * their cue words and cacheable questions go to the edge, as while the device loads. A failure
 * of the first load leaves the device `edge-only`, with the reason; a failure of the embedder's
 * leaves it without FAQ matching and cache (`embedderError`).
 */
import { TemplateAnswers } from '../../shared/answers/template-answers.ts';
import { AspectDetector } from '../../shared/cache/aspects.ts';
import { MemoryCacheStorage } from '../../shared/cache/memory-storage.ts';
import { SemanticCache, type CacheStorage } from '../../shared/cache/semantic-cache.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { DialogueEntities } from '../../shared/conversation/dialogue-entities.ts';
import { IdbCacheStorage } from './cache/idb-cache-storage.ts';
import { decideOnDevice, rememberEdgeAnswer, staleAnswer, type DeviceContext } from './chat/device-answer.ts';
import { loadDeviceModels, nextTask, type DeviceState } from './runtime/device-models.ts';
import type { BackendPreference } from './runtime/ort-backend.ts';
import { storeData } from './store-data.ts';

export interface Device {
  state: DeviceState;
  ctx: DeviceContext | null;
  /** ms from the start of loading until the device could answer (or gave up). */
  readyMs: number;
  /** Where the local cache lives: "indexeddb" or "memory" (once the embedder has loaded). */
  cacheStorage?: 'indexeddb' | 'memory';
  /**
   * With ctx: loads the embedder, then embeds the FAQ questions and opens the local cache (once;
   * later calls share the first). Resolves true when FAQ matching and the cache are in place.
   */
  loadEmbedder?(): Promise<boolean>;
  /** Whether the embedder's load has started (on the first cacheable question, or at once for a returning device). */
  embedderStarted?(): boolean;
  /** Why the embedder could not be loaded, if it could not. */
  embedderError?: string;
  /** With ctx: the on-device answer steps (chat/device-answer.ts), loaded with this chunk, so the page load carries no resolver. */
  answering?: DeviceAnswering;
}

/** What the element calls on a ready device: decide, remember an edge answer, find a stale one. */
export const DEVICE_ANSWERING = { decideOnDevice, rememberEdgeAnswer, staleAnswer };
export type DeviceAnswering = typeof DEVICE_ANSWERING;


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
    // routes.json is validated when the bundle is built (scripts/build-widget.ts); here only that it
    // covers this classifier's labels.
    const routes = storeData.routes;
    const missing = m.classifier.labels.filter((l) => !routes.intents[l]);
    if (missing.length) throw Object.assign(new Error(`routing rules lack intents: ${missing.join(', ')}`), { code: 'ROUTING_CONFIG_INVALID' });
    const templates = new TemplateAnswers(storeData.templates, storeData.faq);
    const dialogue = new DialogueEntities(storeGazetteer(storeData.gazetteer, storeData.catalog, storeData.conversation), storeData.conversation, storeData.entityPatterns, storeData.catalog);
    const ctx: DeviceContext = { models: m, routes, templates, cache: null, dialogue };
    let loading: Promise<boolean> | null = null;
    const device: Device = {
      state,
      ctx,
      readyMs: performance.now() - t0,
      answering: DEVICE_ANSWERING,
      loadEmbedder: () => (loading ??= withEmbedder(device, ctx)),
      embedderStarted: () => loading !== null,
    };
    // A device that loaded this embedder before has its files in the HTTP cache (content-addressed,
    // immutable) and its remembered answers in IndexedDB: load it now, which transfers nothing, so
    // a returning visitor's first cacheable question can be answered on the device.
    if (embedderSeen(m.embedderVersion)) void device.loadEmbedder!();
    return device;
  } catch (e) {
    const err = e as Error & { code?: string };
    return {
      state: { status: 'edge-only', code: err.code ?? 'DEVICE_SETUP_FAILED', reason: err.message, backend: m.backend, timings: m.timings, transfer: m.transfer },
      ctx: null,
      readyMs: performance.now() - t0,
    };
  }
}

/** The embedder's part of the device: FAQ vectors, then the local cache (ctx.cache stays null until it is open). */
async function withEmbedder(device: Device, ctx: DeviceContext): Promise<boolean> {
  const m = ctx.models;
  try {
    const embedder = await m.loadEmbedder();
    await nextTask();
    await ctx.templates.prepare((t) => embedder.embed(t));
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
    ctx.cache = cache;
    device.cacheStorage = where;
    markEmbedderSeen(m.embedderVersion);
    return true;
  } catch (e) {
    device.embedderError = (e as Error).message;
    return false;
  }
}

/** localStorage key naming the embedder version this browser has loaded (and so has cached). */
const EMBEDDER_SEEN = 'switchyard-embedder';

function embedderSeen(version: string): boolean {
  try {
    return localStorage.getItem(EMBEDDER_SEEN) === version;
  } catch {
    return false; // storage blocked: load on the first cacheable question, as on a first visit
  }
}

function markEmbedderSeen(version: string): void {
  try {
    localStorage.setItem(EMBEDDER_SEEN, version);
  } catch {
    // storage blocked or full: the next page view loads the embedder when a question needs it
  }
}
