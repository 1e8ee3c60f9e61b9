/**
 * The store's data the widget carries in its bundle: routing rules, templates, FAQ, entity terms,
 * cache thresholds and the two model manifests (the trust anchor for the files it fetches).
 */
import { catalogTitles } from 'switchyard:build-info';
import cacheConfig from '../../domains/kitsune-books/cache.json';
import cacheAspects from '../../domains/kitsune-books/cache-aspects.json';
import type { CacheAspects } from '../../shared/cache/aspects.ts';
import entityTerms from '../../domains/kitsune-books/entities.json';
import conversationJson from '../../domains/kitsune-books/conversation.json';
import type { DialogueSlots } from '../../shared/conversation/dialogue-entities.ts';
import faq from '../../domains/kitsune-books/kb/faq.json';
import routesJson from '../../domains/kitsune-books/routes.json';
import templatesJson from '../../domains/kitsune-books/templates.json';
import classifierManifest from '../../models/default/store-intent/manifest.json';
import embedderManifest from '../../models/default/embedder/manifest.json';
import type { FaqEntry, TemplatesFile } from '../../shared/answers/template-answers.ts';
import type { CacheThresholds } from '../../shared/cache/semantic-cache.ts';
import type { ModelManifest } from '../../shared/models/manifest.ts';
import type { IntentRoutes } from '../../shared/routing/intent-routes.ts';

export const storeData = {
  routes: routesJson as IntentRoutes,
  templates: templatesJson as TemplatesFile,
  faq: faq as FaqEntry[],
  entityTerms: entityTerms.term as Record<string, string[]>,
  catalog: catalogTitles,
  /** Product slots and place aliases for follow-ups (checked with zod by the tests and the edge). */
  conversation: conversationJson as DialogueSlots,
  cache: { thresholds: cacheConfig.thresholds as CacheThresholds, refreshMs: cacheConfig.refreshMs, aspects: cacheAspects as CacheAspects },
};

/** Model folders as served next to the bundle (`models/<dir>/...`), with their pinned manifests. */
export const modelFolders = {
  classifier: { dir: 'store-intent', manifest: classifierManifest as ModelManifest },
  embedder: { dir: 'embedder', manifest: embedderManifest as ModelManifest },
};
