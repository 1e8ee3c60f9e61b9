/**
 * The region's record of the model versions in production, as the edge reads it to follow
 * promotions without a redeploy: `GET /v1/ops/active-models` (edge key) lists each production
 * version with the sha256 of every file recorded at registration, and each file is served at
 * `{filesUrl}{path}` (plus the folder's `manifest.json`, which no digest covers). The list is the
 * region's domain's (`domain`): an edge bundled with another domain refuses to follow it.
 */
import { z } from 'zod';

export const ACTIVE_MODELS_PATH = '/v1/ops/active-models';

export const ActiveModel = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  kind: z.string(),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  sizeBytes: z.number().int().nonnegative(),
  promotedAt: z.string().nullable(),
  promotedBy: z.string().nullable(),
  /** Path (on the region) of the version's files, ending in `/`. */
  filesUrl: z.string().startsWith('/'),
});
export type ActiveModel = z.infer<typeof ActiveModel>;

export const ActiveModels = z.object({
  /** The domain whose registry this is (models are keyed by domain); an edge of another domain follows none of them. */
  domain: z.string().min(1).optional(),
  models: z.array(ActiveModel),
});
export type ActiveModels = z.infer<typeof ActiveModels>;

/** Where name@version's files are served (each path segment encoded). */
export function modelFilesPath(name: string, version: string): string {
  return `/v1/ops/models/${encodeURIComponent(name)}/${encodeURIComponent(version)}/files/`;
}

export function modelFileUrl(regionUrl: string, m: Pick<ActiveModel, 'filesUrl'>, path: string): URL {
  return new URL(m.filesUrl + path.split('/').map(encodeURIComponent).join('/'), regionUrl);
}

/** True when two file lists name the same paths with the same digests. */
export function sameFiles(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
