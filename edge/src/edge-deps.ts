/**
 * Per-isolate state of the edge: models, routing rules, templates, entity extractor and the
 * semantic cache over D1 — built on the first request of an isolate and reused after. They are
 * built in two steps: as soon as the classifier serves (templates answer; no cache and no FAQ
 * vectors yet: runtime/edge-models.ts), then again once the embedder is loaded, swapped in the way
 * a refreshed model is (installModels).
 */
import { bundledDomain } from './domain/bundled-domain.ts';
import { parseConversationData } from '../../shared/conversation/conversation-data.ts';
import { DialogueEntities } from '../../shared/conversation/dialogue-entities.ts';
import { EntityExtractor, entityPatternsOf } from '../../shared/cache/entities.ts';
import { SemanticCache, type CacheThresholds } from '../../shared/cache/semantic-cache.ts';
import { warmFromFaq } from '../../shared/cache/warm-from-faq.ts';
import { InFlight } from '../../shared/cache/in-flight.ts';
import { AspectDetector } from '../../shared/cache/aspects.ts';
import { parseCacheAspects } from '../../shared/cache/aspects-schema.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { parseIntentRoutes, type IntentRoutes } from '../../shared/routing/intent-routes.ts';
import { D1CacheStorage } from './cache/d1-storage.ts';
import { TemplateAnswers, type FaqEntry, type TemplatesFile } from '../../shared/answers/template-answers.ts';
import type { EdgeEnv } from './env.ts';
import { edgeMetrics } from './http/metrics.ts';
import { warmUpChat } from './chat/warm-up.ts';
import { edgeModels, firstModels, replaceModels, type EdgeModels, type ModelState } from './runtime/edge-models.ts';

const { routes: routesJson, templates: templatesJson, faq, cache: cacheConfig, catalog, gazetteer, conversation, cacheAspects, entityPatterns } = bundledDomain;

export interface EdgeDeps {
  models: ModelState;
  routes: IntentRoutes;
  templates: TemplateAnswers;
  cache: SemanticCache | null;
  entities: EntityExtractor;
  dialogue: DialogueEntities;
  /** Cache misses this isolate is answering (single flight), kept across model refreshes. */
  inFlight: InFlight;
}

let deps: Promise<EdgeDeps> | null = null;
let depsDb: D1Database | null = null;
/** Settles once both models are loaded (or failed) and the deps for them are in place. */
let loaded: Promise<void> | null = null;
let settled = false;

/** True once this isolate's load has settled: both models loaded (or failed) and their deps built. */
export function edgeDepsSettled(): boolean {
  return settled;
}

/** The deps new requests get: as soon as the classifier serves, the embedder may still be loading. */
export function edgeDeps(env: EdgeEnv): Promise<EdgeDeps> {
  if (!deps || depsDb !== env.CACHE_DB) {
    depsDb = env.CACHE_DB;
    deps = build(env).catch((e) => {
      deps = null;
      throw e;
    });
  }
  return deps;
}

/** Settles once the isolate's whole load has (the first request keeps its context alive until then: waitUntil). */
export function edgeDepsLoaded(env: EdgeEnv): Promise<void> {
  return edgeDeps(env).then(() => loaded ?? undefined);
}

/** The pack's FAQ questions the warm-up answers: two of template intents (answered whole), then one of another (its cache key). */
function warmUpQuestions(templates: TemplateAnswers): string[] {
  const entries = faq as FaqEntry[];
  const answered = entries.filter((f) => templates.has(f.intent)).slice(0, 2);
  return [...answered, ...entries.filter((f) => !templates.has(f.intent)).slice(0, 1)].map((f) => f.question);
}

async function build(env: EdgeEnv): Promise<EdgeDeps> {
  if (settled) return depsFor(env, await edgeModels(env), null);
  const first = await firstModels(env);
  if (first.ok && first.models.embedderState.state === 'loading') {
    loaded ??= edgeModels(env)
      .then((all) => (all.ok ? installModels(env, all.models, { warmUp: true }) : undefined))
      .catch((e) => console.error('edge deps for the loaded embedder failed; serving without it:', (e as Error).message))
      .finally(() => (settled = true));
  } else {
    settled = true;
  }
  return depsFor(env, first, null);
}

/**
 * The deps for `models`: routing rules checked against the classifier's labels, template FAQ
 * vectors from the embedder, and a semantic cache keyed by the embedder's version (kept from
 * `previous` when that did not change; a new embedder version starts an empty cache, since keys
 * of another embedder version never match). Throws when the models do not fit the store's
 * routing rules, so a refreshed model that does not fit is refused before it serves.
 */
/**
 * The pack's entity readers, built once per isolate on first use: both read the same store
 * gazetteer (entities.json plus the catalog's series names), which does not change with the models.
 */
let readers: { dialogue: DialogueEntities; entities: EntityExtractor } | undefined;
function packReaders(): { dialogue: DialogueEntities; entities: EntityExtractor } {
  if (!readers) {
    const words = parseConversationData(conversation);
    const patterns = entityPatternsOf(entityPatterns);
    const terms = storeGazetteer(gazetteer, catalog, words);
    readers = { dialogue: new DialogueEntities(terms, words, patterns, catalog), entities: new EntityExtractor(terms, patterns, words.everydayWords) };
  }
  return readers;
}

async function depsFor(env: EdgeEnv, models: ModelState, previous: EdgeDeps | null): Promise<EdgeDeps> {
  const routes = parseIntentRoutes(routesJson, models.ok ? models.models.classifier.labels : undefined);
  const templates = new TemplateAnswers(templatesJson as TemplatesFile, faq as FaqEntry[]);
  // Without its embedder (still loading, or failed) the edge has no FAQ vectors and no cache.
  const m = models.ok && models.models.embedderState.state === 'ready' ? models.models : null;
  if (m) {
    const prepare = () => templates.prepare((t) => m.embedder.embed(t));
    await (m.profile ? m.profile.time('templates.faq', prepare) : prepare());
  }
  const same = previous?.cache && m && previous.cache.opts.modelVersion === m.embedderVersion;
  const cache = !m
    ? null
    : same
      ? previous!.cache
      : new SemanticCache(new D1CacheStorage(env.CACHE_DB), {
          modelVersion: m.embedderVersion,
          dimensions: m.dimensions,
          thresholds: cacheConfig.thresholds as CacheThresholds,
          aspects: new AspectDetector(parseCacheAspects(cacheAspects)),
          refreshMs: cacheConfig.refreshMs,
        });
  const { dialogue, entities } = packReaders();
  if (env.CACHE_WARM_FAQ === 'true' && m && cache && !same) {
    // A new cache (the isolate's first with an embedder, or a new embedder version) is seeded with the
    // pack's FAQ answers; a failure leaves a cold cache, never a failed request.
    await warmFromFaq(cache, { faq: faq as FaqEntry[], routes, dialogue, embed: (t) => m.embedder.embed(t) }).catch((e) => console.error('cache warming failed:', (e as Error).message));
  }
  // The newest deps built are the ones served (a failed build throws before this).
  edgeMetrics.trackEntries('cache_index', () => cache?.size ?? 0);
  edgeMetrics.trackEntries('cache_answers', () => cache?.heldAnswers ?? 0);
  return {
    models,
    routes,
    templates,
    cache,
    entities,
    dialogue,
    inFlight: previous?.inFlight ?? new InFlight(),
  };
}

/**
 * Serves `next` from now on: builds its deps first (throwing, with nothing changed, when they
 * cannot be built), then swaps models and deps for new requests. `warmUp` (the isolate's own
 * load): the chat pipeline runs on them first (chat/warm-up.ts), so its first answers are not
 * the ones that compile it.
 */
export async function installModels(env: EdgeEnv, next: EdgeModels, opts: { warmUp?: boolean } = {}): Promise<void> {
  const previous = await edgeDeps(env);
  const built = await depsFor(env, { ok: true, models: next }, previous);
  if (opts.warmUp) {
    const warm = () => warmUpChat(built, warmUpQuestions(built.templates), env.SESSIONS, (faq as FaqEntry[]).map((f) => f.question));
    await (next.profile ? next.profile.time('chat.warmup', warm) : warm());
  }
  replaceModels(next);
  deps = Promise.resolve(built);
  depsDb = env.CACHE_DB;
}
