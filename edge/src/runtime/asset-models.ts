/**
 * The domain's models as the Worker's static assets (wrangler.toml `[assets]`, binding ASSETS;
 * built by scripts/edge-assets.ts): `models/<role>.json` is the folder's manifest and every file
 * it lists is served by content at `files/<sha256><ext>`. The files are fetched through the
 * binding (no network, no request to the outside), all of a folder at once so the reads overlap
 * (all it lists, less the plain graph where the build-time optimised one is listed: that is the
 * graph the Worker loads, shared/models/model-folder.ts),
 * and each is checked against its manifest's sha256 as it arrives, before anything uses it. A file
 * two folders share (the tokenizer) is read and hashed once. Refuses a missing binding, a missing
 * or unreadable manifest and a missing file, naming what is missing; a file whose digest differs
 * with ModelIntegrityError (MODEL_INTEGRITY).
 */
import { filePath } from '../../../shared/models/content-address.ts';
import { verifyFile, type ModelManifest } from '../../../shared/models/manifest.ts';
import { filesToLoad } from '../../../shared/models/model-folder.ts';
import type { EdgeModelRole } from '../http/metrics.ts';
import type { LoadProfile } from './load-profile.ts';

/** A model folder whose every file it loads (filesToLoad: each path its manifest lists, less the plain graph when the optimised one is listed) matched the manifest's sha256. */
export interface VerifiedFolder {
  manifest: ModelManifest;
  files: ReadonlyMap<string, Uint8Array>;
}

export interface AssetModels {
  manifests: Record<EdgeModelRole, ModelManifest>;
  /** The folder of `role`, read and verified (its reads start at the first call). */
  folder(role: EdgeModelRole): Promise<VerifiedFolder>;
}

/** Any origin works for the binding; the path is what it serves. */
const ORIGIN = 'https://assets.invalid/';

async function get(assets: Fetcher, path: string): Promise<Response> {
  const res = await assets.fetch(new Request(new URL(path, ORIGIN)));
  if (!res.ok) throw new Error(`static asset ${path}: HTTP ${res.status} (build the edge's assets: npx tsx scripts/edge-assets.ts)`);
  return res;
}

async function manifestOf(assets: Fetcher, role: EdgeModelRole): Promise<ModelManifest> {
  let manifest: ModelManifest;
  try {
    manifest = (await (await get(assets, `models/${role}.json`)).json()) as ModelManifest;
  } catch (e) {
    throw new Error(`the ${role}'s manifest: ${(e as Error).message}`);
  }
  if (!manifest?.files || typeof manifest.files !== 'object') throw new Error(`the ${role}'s manifest lists no files`);
  return manifest;
}

/** Reads both manifests; the folders' files are read when asked for. Phases: `manifests`, `<role>.files` (read and verified), `<role>.sha256` (of those, hashing). */
export async function assetModels(assets: Fetcher | undefined, profile: LoadProfile): Promise<AssetModels> {
  if (!assets) throw new Error('no ASSETS binding: the model files are served as static assets (wrangler.toml [assets])');
  const [classifier, embedder] = await profile.time('manifests', () => Promise.all([manifestOf(assets, 'classifier'), manifestOf(assets, 'embedder')]));
  const manifests = { classifier, embedder };
  // By sha256: the first folder to list a file reads and verifies it; another listing the same digest gets those bytes.
  const byDigest = new Map<string, Promise<Uint8Array>>();
  const folders = new Map<EdgeModelRole, Promise<VerifiedFolder>>();

  const file = (role: EdgeModelRole, path: string): Promise<Uint8Array> => {
    const manifest = manifests[role];
    const sha256 = manifest.files[path];
    let bytes = byDigest.get(sha256);
    if (!bytes) {
      bytes = (async () => {
        const body = new Uint8Array(await (await get(assets, filePath(sha256, path))).arrayBuffer());
        await profile.time(`${role}.sha256`, () => verifyFile(manifest, path, body));
        return body;
      })();
      byDigest.set(sha256, bytes);
    }
    return bytes;
  };

  const read = async (role: EdgeModelRole): Promise<VerifiedFolder> => {
    const manifest = manifests[role];
    const paths = filesToLoad(manifest);
    const start = performance.now();
    const reads = paths.map((p) => file(role, p));
    for (const r of reads) r.catch(() => {}); // awaited below; one failing first leaves the others handled
    const bytes = await Promise.all(reads);
    profile.add(`${role}.files`, start, performance.now() - start);
    return { manifest, files: new Map(paths.map((p, i) => [p, bytes[i]])) };
  };

  return {
    manifests,
    folder: (role) => {
      let f = folders.get(role);
      if (!f) folders.set(role, (f = read(role)));
      return f;
    },
  };
}
