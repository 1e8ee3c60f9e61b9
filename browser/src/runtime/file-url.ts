/**
 * Where the widget's model and runtime files are served: by content, `files/<sha256><ext>` beside
 * the bundle. The same digest is one URL, so a file two models share (the tokenizer) is
 * downloaded once, and a URL never changes meaning, so it can be cached as immutable. Used by
 * the build (to lay the files out) and by the widget (to fetch them); the digest is still
 * checked after every download (verified-files.ts).
 */

/** The extension kept on the served name (for the content type): `.onnx`, `.json`, `.wasm`, `.mjs`. */
function extensionOf(name: string): string {
  const m = /\.[a-z0-9]+$/i.exec(name);
  return m ? m[0].toLowerCase() : '';
}

/** The path, relative to the bundle's folder, of the file `name` whose sha256 is `sha256`. */
export function filePath(sha256: string, name: string): string {
  if (!/^[0-9a-f]{64}$/.test(sha256)) throw new Error(`${name}: not a sha256 digest: ${sha256}`);
  return `files/${sha256}${extensionOf(name)}`;
}

export function fileUrl(base: URL, sha256: string, name: string): URL {
  return new URL(filePath(sha256, name), base);
}
