/**
 * Per-isolate state of the edge: models, routing rules, templates, entity extractor and the
 * semantic cache over D1 — built on the first request of an isolate and reused after.
 */
import catalog from '../../models/data/store/kb/catalog.json';
import faq from '../../models/data/store/kb/faq.json';
import entityTerms from '../../models/data/store/entities.json';
import routesJson from '../../models/data/store/routes.json';
import templatesJson from '../../models/data/store/templates.json';
import cacheConfig from '../../models/data/store/cache.json';
import { EntityExtractor } from '../../shared/cache/entities.ts';
import { SemanticCache } from '../../shared/cache/semantic-cache.ts';
import { storeGazetteer } from '../../shared/cache/store-gazetteer.ts';
import { parseIntentRoutes, type IntentRoutes } from '../../shared/routing/intent-routes.ts';
import { D1CacheStorage } from './cache/d1-storage.ts';
import { TemplateAnswers, type FaqEntry, type TemplatesFile } from '../../shared/answers/template-answers.ts';
import type { EdgeEnv } from './env.ts';
import { edgeModels, type ModelState } from './runtime/edge-models.ts';

export interface EdgeDeps {
  models: ModelState;
  routes: IntentRoutes;
  templates: TemplateAnswers;
  cache: SemanticCache | null;
  entities: EntityExtractor;
}

let deps: Promise<EdgeDeps> | null = null;
let depsDb: D1Database | null = null;

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

async function build(env: EdgeEnv): Promise<EdgeDeps> {
  const models = await edgeModels((env.EDGE_MODELS ?? 'on') !== 'off');
  const routes = parseIntentRoutes(routesJson, models.ok ? models.models.classifier.labels : undefined);
  const templates = new TemplateAnswers(templatesJson as TemplatesFile, faq as FaqEntry[]);
  if (models.ok) await templates.prepare((t) => models.models.embedder.embed(t));
  const cache = models.ok
    ? new SemanticCache(new D1CacheStorage(env.CACHE_DB), {
        modelVersion: models.models.embedderVersion,
        dimensions: models.models.dimensions,
        thresholds: cacheConfig.thresholds,
        refreshMs: cacheConfig.refreshMs,
      })
    : null;
  return { models, routes, templates, cache, entities: new EntityExtractor(storeGazetteer(entityTerms.term, catalog)) };
}
