/**
 * Where model and runtime files are served by content: `files/<sha256><ext>`, relative to the
 * folder that serves them (the widget's bundle folder, the edge Worker's static assets). The same
 * digest is one name, so a file two models share (the tokenizer) is stored and downloaded once,
 * a name never changes meaning (cacheable as immutable), and the widget build and the edge's
 * assets build lay out the same files under the same names. Whoever reads a file still checks
 * its digest (shared/models/manifest.ts); the name alone proves nothing.
 */
import type { ModelManifest } from './manifest.ts';

/** The extension kept on the served name (for the content type): `.onnx`, `.json`, `.wasm`, `.mjs`. */
function extensionOf(name: string): string {
  const m = /\.[a-z0-9]+$/i.exec(name);
  return m ? m[0].toLowerCase() : '';
}

/** The path, relative to the serving folder, of the file `name` whose sha256 is `sha256`. */
export function filePath(sha256: string, name: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${name}: not a sha256 digest: ${sha256}`);
  return `files/${sha256}${extensionOf(name)}`;
}

/** Every file a model folder's manifest lists, with the content-addressed path it is served at. */
export function manifestFilePaths(manifest: Pick<ModelManifest, 'files'>): { path: string; sha256: string; servedAt: string }[] {
  return Object.entries(manifest.files)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([path, sha256]) => ({ path, sha256, servedAt: filePath(sha256, path) }));
}
