/**
 * Build step of the edge: the Worker's static assets for a domain pack (wrangler.toml `[assets]`,
 * binding ASSETS), in `.switchyard/edge-assets/<domain>/` (git-ignored):
 *
 *   models/classifier.json, models/embedder.json   the manifests of the pack's two model folders, each
 *                                                  with one file more: onnx/model_quantized_optimized.onnx
 *   files/<sha256><ext>                            every file those manifests list, by content
 *
 * (the widget's layout too: models/pipeline/content-files.ts). The Worker reads them through the
 * binding on its first request and checks every file against its manifest's sha256 before use
 * (edge/src/runtime/asset-models.ts), so the model bytes are not part of the Worker script.
 * The one file the folders do not have is the model's graph with onnxruntime's optimisations
 * applied at build time (scripts/optimized-graph.ts), which the Worker loads instead of
 * onnx/model_quantized.onnx so that a fresh isolate's first session skips them; its sha256 is
 * added to the served manifest, and the Worker checks it like any other file. The rest of the
 * manifest is the folder's, unchanged.
 * Incremental: files already there under their digest are kept, a manifest is rewritten only when
 * it changed, and files no manifest lists any more are removed. Format-agnostic: it copies what
 * the manifests list, whatever those files are.
 *
 *   npx tsx scripts/edge-assets.ts [<pack dir>]     builds them (default: SWITCHYARD_DOMAIN, else kitsune-books)
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { loadPack, packModelDir } from '../models/pipeline/domain-pack.ts';
import { placeByContent, placeModelFolder } from '../models/pipeline/content-files.ts';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { ONNX_PATH, OPTIMIZED_ONNX_PATH } from '../shared/models/model-folder.ts';
import { DEFAULT_PACK } from './domain-bundle.ts';
import { optimizedGraph } from './optimized-graph.ts';

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
    const { manifest, servedAt } = placeModelFolder(modelDir, dir);
    let manifestText = readFileSync(join(modelDir, 'manifest.json'), 'utf8');
    const optimized = manifest.files[ONNX_PATH] && !manifest.files[OPTIMIZED_ONNX_PATH] ? optimizedGraph(join(modelDir, ONNX_PATH)) : null;
    if (optimized) {
      const placed = placeByContent(optimized, OPTIMIZED_ONNX_PATH, dir);
      manifestText = `${JSON.stringify({ ...manifest, files: { ...manifest.files, [OPTIMIZED_ONNX_PATH]: placed.sha256 } }, null, 2)}\n`;
      servedAt.push(placed.servedAt);
    }
    writeIfChanged(join(dir, 'models', `${role}.json`), manifestText);
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
