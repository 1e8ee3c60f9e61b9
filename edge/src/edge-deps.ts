/**
 * Per-isolate state of the edge: models, routing rules, templates, entity extractor and the
 * semantic cache over D1 — built on the first request of an isolate and reused after.
 */
import { bundledDomain } from './domain/bundled-domain.ts';
import { dialogueEntitiesFor } from '../../shared/conversation/conversation-data.ts';
import type { DialogueEntities } from '../../shared/conversation/dialogue-entities.ts';
import { EntityExtractor, entityPatternsOf } from '../../shared/cache/entities.ts';
import { SemanticCache, type CacheThresholds } from '../../shared/cache/semantic-cache.ts';
import { AspectDetector } from '../../shared/cache/aspects.ts';
import { parseCacheAspects } from '../../shared/cache/aspects-schema.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { parseIntentRoutes, type IntentRoutes } from '../../shared/routing/intent-routes.ts';
import { D1CacheStorage } from './cache/d1-storage.ts';
import { TemplateAnswers, type FaqEntry, type TemplatesFile } from '../../shared/answers/template-answers.ts';
import type { EdgeEnv } from './env.ts';
import { edgeModels, replaceModels, type EdgeModels, type ModelState } from './runtime/edge-models.ts';

const { routes: routesJson, templates: templatesJson, faq, cache: cacheConfig, catalog, gazetteer, conversation, cacheAspects, entityPatterns } = bundledDomain;

export interface EdgeDeps {
  models: ModelState;
  routes: IntentRoutes;
  templates: TemplateAnswers;
  cache: SemanticCache | null;
  entities: EntityExtractor;
  dialogue: DialogueEntities;
}

let deps: Promise<EdgeDeps> | null = null;
let depsDb: D1Database | null = null;
let depsReady = false;

/** True once this isolate's deps (models included) are built. */
export function edgeDepsReady(): boolean {
  return depsReady;
}

export function edgeDeps(env: EdgeEnv): Promise<EdgeDeps> {
  if (!deps || depsDb !== env.CACHE_DB) {
    depsDb = env.CACHE_DB;
    deps = build(env).then(
      (d) => ((depsReady = true), d),
      (e) => {
        deps = null;
        throw e;
      },
    );
  }
  return deps;
}

async function build(env: EdgeEnv): Promise<EdgeDeps> {
  const models = await edgeModels(env);
  return depsFor(env, models, null);
}

/**
 * The deps for `models`: routing rules checked against the classifier's labels, template FAQ
 * vectors from the embedder, and a semantic cache keyed by the embedder's version (kept from
 * `previous` when that did not change; a new embedder version starts an empty cache, since keys
 * of another embedder version never match). Throws when the models do not fit the store's
 * routing rules, so a refreshed model that does not fit is refused before it serves.
 */
async function depsFor(env: EdgeEnv, models: ModelState, previous: EdgeDeps | null): Promise<EdgeDeps> {
  const routes = parseIntentRoutes(routesJson, models.ok ? models.models.classifier.labels : undefined);
  const templates = new TemplateAnswers(templatesJson as TemplatesFile, faq as FaqEntry[]);
  if (models.ok) await templates.prepare((t) => models.models.embedder.embed(t));
  const same = previous?.cache && models.ok && previous.cache.opts.modelVersion === models.models.embedderVersion;
  const cache = !models.ok
    ? null
    : same
      ? previous!.cache
      : new SemanticCache(new D1CacheStorage(env.CACHE_DB), {
          modelVersion: models.models.embedderVersion,
          dimensions: models.models.dimensions,
          thresholds: cacheConfig.thresholds as CacheThresholds,
          aspects: new AspectDetector(parseCacheAspects(cacheAspects)),
          refreshMs: cacheConfig.refreshMs,
        });
  return {
    models,
    routes,
    templates,
    cache,
    entities: previous?.entities ?? new EntityExtractor({ ...gazetteer, ...storeGazetteer(gazetteer.term ?? {}, catalog) }, entityPatternsOf(entityPatterns)),
    dialogue: previous?.dialogue ?? dialogueEntitiesFor(gazetteer.term ?? {}, catalog, conversation, entityPatternsOf(entityPatterns)),
  };
}

/**
 * Serves `next` from now on: builds its deps first (throwing, with nothing changed, when they
 * cannot be built), then swaps models and deps for new requests.
 */
export async function installModels(env: EdgeEnv, next: EdgeModels): Promise<void> {
  const previous = await edgeDeps(env);
  const built = await depsFor(env, { ok: true, models: next }, previous);
  replaceModels(next);
  deps = Promise.resolve(built);
  depsDb = env.CACHE_DB;
}
