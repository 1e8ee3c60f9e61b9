/**
 * Build step of the edge: the Worker's static assets for a domain pack (wrangler.toml `[assets]`,
 * binding ASSETS), in `.switchyard/edge-assets/<domain>/` (git-ignored):
 *
 *   models/classifier.json, models/embedder.json   the manifests of the pack's two model folders
 *   files/<sha256><ext>                            every file those manifests list, by content
 *
 * (the widget's layout too: models/pipeline/content-files.ts). The Worker reads them through the
 * binding on its first request and checks every file against its manifest's sha256 before use
 * (edge/src/runtime/asset-models.ts), so the model bytes are not part of the Worker script.
 * Incremental: files already there under their digest are kept, a manifest is rewritten only when
 * it changed, and files no manifest lists any more are removed. Format-agnostic: it copies what
 * the manifests list, whatever those files are.
 *
 *   npx tsx scripts/edge-assets.ts [<pack dir>]     builds them (default: SWITCHYARD_DOMAIN, else kitsune-books)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadPack, packModelDir } from '../models/pipeline/domain-pack.ts';
import { placeModelFolder } from '../models/pipeline/content-files.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { DEFAULT_PACK } from './domain-bundle.ts';

export const EDGE_MODEL_ROLES = ['classifier', 'embedder'] as const;

export interface EdgeAssets {
  /** The assets folder (`wrangler dev|deploy --assets <dir>`). */
  dir: string;
  domain: string;
  /** Paths (relative to `dir`) of every file the Worker may read. */
  files: string[];
  ms: number;
}

/** The assets folder of a domain (by its domain.json name). */
export function edgeAssetsDir(domainName: string): string {
  return join(repoRoot(), '.switchyard', 'edge-assets', domainName);
}

function writeIfChanged(file: string, text: string): void {
  if (existsSync(file) && readFileSync(file, 'utf8') === text) return;
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `outDir`: another folder than the domain's under .switchyard/ (tests). */
export function buildEdgeAssets(packDir: string = process.env.SWITCHYARD_DOMAIN ?? DEFAULT_PACK, outDir?: string): EdgeAssets {
  const t0 = Date.now();
  const pack = loadPack(packDir, { dataRules: false });
  const dir = outDir ?? edgeAssetsDir(pack.domain.name);
  mkdirSync(join(dir, 'models'), { recursive: true });
  const files: string[] = [];
  for (const role of EDGE_MODEL_ROLES) {
    const modelDir = packModelDir(packDir, pack, role);
    const { servedAt } = placeModelFolder(modelDir, dir);
    writeIfChanged(join(dir, 'models', `${role}.json`), readFileSync(join(modelDir, 'manifest.json'), 'utf8'));
    files.push(`models/${role}.json`, ...servedAt);
  }
  const keep = new Set(files);
  for (const name of readdirSync(join(dir, 'files'))) {
    if (!keep.has(`files/${name}`) && !name.endsWith('.tmp')) rmSync(join(dir, 'files', name), { force: true });
  }
  return { dir, domain: pack.domain.name, files: [...keep].sort(), ms: Date.now() - t0 };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const built = buildEdgeAssets(process.argv[2]);
  console.log(`edge assets of ${built.domain} in ${relative(process.cwd(), built.dir)}: ${built.files.length} files (${built.ms} ms)`);
}
