/**
 * The domain pack this Worker was built with (domains/README.md): routing rules, templates, FAQ,
 * gazetteer, cache thresholds (its model files are static assets: runtime/asset-models.ts). The import `switchyard-domain`
 * is resolved at build time through tsconfig `paths`: edge/tsconfig.json names the default pack's
 * module (default-domain.ts); `SWITCHYARD_DOMAIN=<dir>` makes scripts/edge-process.ts generate
 * another pack's module and point wrangler at it with `--tsconfig`. Nothing is read at run time.
 */
import type { FaqEntry, TemplatesFile } from '../../../shared/answers/template-answers.ts';
import type { EntityKind, Gazetteer } from '../../../shared/cache/entities.ts';
import type { CatalogTitle } from '../../../shared/cache/store-gazetteer.ts';
import type { PricedTitle } from '../../../shared/conversation/title-prices.ts';
import type { VersionedRoutingConfig } from '../../../shared/routing/routing-config.ts';
import { domain } from 'switchyard-domain';

export interface BundledDomain {
  name: string;
  displayName: string;
  /** domain.json's intents as routing rules (checked with parseIntentRoutes against the classifier's labels). */
  routes: { domain: string; intents: Record<string, unknown> };
  templates: TemplatesFile;
  faq: FaqEntry[];
  gazetteer: Gazetteer;
  /** entities.json `patterns`: the domain's id shapes by entity kind (checked at bundle time). */
  entityPatterns: Partial<Record<EntityKind, { match: string; value: string }[]>>;
  /** The catalog's titles, with the price, volume and format "the cheaper one" of a list is read by. */
  catalog: (CatalogTitle & PricedTitle)[];
  cache: { thresholds: { hit: number; stale: number }; refreshMs: number };
  /** conversation.json (checked with zod where the edge builds its dialogue extractor). */
  conversation: unknown;
  /** cache-aspects.json (checked with zod where the edge builds its cache). */
  cacheAspects: unknown;
  /** routing/routing-config.json (shape checked at bundle time): per-intent thresholds for the classifier it names. */
  routingConfig?: VersionedRoutingConfig;
}

export const bundledDomain: BundledDomain = domain as BundledDomain;
