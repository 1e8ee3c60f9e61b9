/**
 * The domain's models as the Worker's static assets (wrangler.toml `[assets]`, binding ASSETS;
 * built by scripts/edge-assets.ts): `models/<role>.json` is the folder's manifest and every file
 * it lists is served by content at `files/<sha256><ext>`. The files are fetched through the
 * binding (no network, no request to the outside), all at once so the reads overlap, and the
 * caller checks each against the manifest's sha256 before use (openModelFolder). Refuses a
 * missing binding, a missing or unreadable manifest and a missing file, naming what is missing.
 */
import { filePath } from '../../../shared/models/content-address.ts';
import type { ModelManifest } from '../../../shared/models/manifest.ts';
import type { FolderSource } from './edge-models.ts';

import type { EdgeModelRole } from '../http/metrics.ts';

/** Any origin works for the binding; the path is what it serves. */
const ORIGIN = 'https://assets.invalid/';

async function get(assets: Fetcher, path: string): Promise<Response> {
  const res = await assets.fetch(new Request(new URL(path, ORIGIN)));
  if (!res.ok) throw new Error(`static asset ${path}: HTTP ${res.status} (build the edge's assets: npx tsx scripts/edge-assets.ts)`);
  return res;
}

/** The model folder of `role` from the assets; its files start downloading at once. */
export async function assetFolder(assets: Fetcher | undefined, role: EdgeModelRole): Promise<FolderSource> {
  if (!assets) throw new Error('no ASSETS binding: the model files are served as static assets (wrangler.toml [assets])');
  let manifest: ModelManifest;
  try {
    manifest = (await (await get(assets, `models/${role}.json`)).json()) as ModelManifest;
  } catch (e) {
    throw new Error(`the ${role}'s manifest: ${(e as Error).message}`);
  }
  if (!manifest?.files || typeof manifest.files !== 'object') throw new Error(`the ${role}'s manifest lists no files`);
  const reads = new Map<string, Promise<Uint8Array>>();
  for (const [path, sha256] of Object.entries(manifest.files)) {
    const p = get(assets, filePath(sha256, path)).then(async (r) => new Uint8Array(await r.arrayBuffer()));
    p.catch(() => {}); // awaited by read(); a failure before then is not unhandled
    reads.set(path, p);
  }
  return {
    manifest,
    read: (path) => reads.get(path) ?? Promise.reject(new Error(`${manifest.name}: ${path} is not in its manifest`)),
  };
}
