/**
 * Build time: lays files out by content (`files/<sha256><ext>`, shared/models/content-address.ts)
 * in a serving folder, the one layout of the widget's bundle folder (scripts/build-widget.ts) and the
 * edge Worker's static assets (scripts/edge-assets.ts). A file already there under its digest is
 * left alone (its name is its content), so a rebuild copies only what changed; a new one is
 * written beside and renamed, so a server reading the folder never sees half a file. Refuses a
 * model file whose bytes do not match its manifest's sha256.
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { filePath, manifestFilePaths } from '../../shared/models/content-address.ts';
import type { ModelManifest } from '../../shared/models/manifest.ts';

export function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Copies `src` to `outDir/files/<sha256><ext of name>` unless there; returns its sha256 and served path. */
export function placeByContent(src: string, name: string, outDir: string): { sha256: string; servedAt: string } {
  const sha256 = sha256File(src);
  const servedAt = filePath(sha256, name);
  const dest = join(outDir, servedAt);
  if (!existsSync(dest)) {
    mkdirSync(dirname(dest), { recursive: true });
    const tmp = `${dest}.${process.pid}.tmp`;
    copyFileSync(src, tmp);
    renameSync(tmp, dest);
  }
  return { sha256, servedAt };
}

/** Places every file `modelDir/manifest.json` lists; returns the manifest and the served paths. */
export function placeModelFolder(modelDir: string, outDir: string): { manifest: ModelManifest; servedAt: string[] } {
  const manifestFile = join(modelDir, 'manifest.json');
  if (!existsSync(manifestFile)) throw new Error(`${modelDir}: no manifest.json (build the model first)`);
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as ModelManifest;
  const servedAt = manifestFilePaths(manifest).map(({ path, sha256 }) => {
    const placed = placeByContent(join(modelDir, path), path, outDir);
    if (placed.sha256 !== sha256) throw new Error(`${modelDir}/${path} does not match its manifest's sha256`);
    return placed.servedAt;
  });
  return { manifest, servedAt };
}
