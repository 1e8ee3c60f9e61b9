/**
 * The domain pack's data the widget carries in its bundle (scripts/build-widget.ts puts it there):
 * routing rules, templates, FAQ, entity phrases, cache thresholds and the two model manifests (the
 * trust anchor for the files it fetches).
 */
import { catalogTitles, domain } from 'switchyard:build-info';
import type { DialogueSlots } from '../../shared/conversation/dialogue-entities.ts';
import type { FaqEntry, TemplatesFile } from '../../shared/answers/template-answers.ts';
import type { CacheAspects } from '../../shared/cache/aspects.ts';
import type { CacheThresholds } from '../../shared/cache/semantic-cache.ts';
import type { ModelManifest } from '../../shared/models/manifest.ts';
import type { IntentRoutes } from '../../shared/routing/intent-routes.ts';

export const storeData = {
  routes: domain.routes as IntentRoutes,
  templates: domain.templates as TemplatesFile,
  faq: domain.faq as FaqEntry[],
  /** entities.json's phrases by kind (terms, the pack's own places). */
  gazetteer: domain.gazetteer,
  /** The pack's ids by shape (entities.json `patterns`). */
  entityPatterns: domain.entityPatterns,
  catalog: catalogTitles,
  /** Product slots and place aliases for follow-ups (checked with zod by the tests and the edge). */
  conversation: domain.conversation as DialogueSlots,
  cache: { thresholds: domain.cache.thresholds as CacheThresholds, refreshMs: domain.cache.refreshMs, aspects: domain.cacheAspects as CacheAspects },
  /** The pack's tuned per-intent routing thresholds (applied to the classifier they were tuned for). */
  routingConfig: domain.routingConfig,
};

/** The two model folders' pinned manifests (their files are served by sha256, see runtime/file-url.ts). */
export const modelFolders = {
  classifier: { manifest: domain.manifests.classifier as ModelManifest },
  embedder: { manifest: domain.manifests.embedder as ModelManifest },
};
