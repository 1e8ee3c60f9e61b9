/**
 * Model manifests: every built model folder carries `manifest.json` with the sha256 of each file.
 * A runtime verifies the files it is about to load against it and refuses a mismatch. Uses Web
 * Crypto only, so the same code runs in Workers, browsers and Node.
 */

export interface ModelManifest {
  name: string;
  version: string;
  kind: 'intent-classifier' | 'sentence-embedder' | 'cross-encoder' | 'llm-config' | 'routing-config';
  /** sha256 (hex) of every file in the folder except manifest.json, by relative path. */
  files: Record<string, string>;
  trainingDataSha256: string | null;
  settings: Record<string, unknown>;
  seed: number;
  metrics: Record<string, unknown>;
  sizeBytes: number;
  createdAt: string;
}

export class ModelIntegrityError extends Error {
  readonly code = 'MODEL_INTEGRITY';
  constructor(message: string) {
    super(message);
    this.name = 'ModelIntegrityError';
  }
}

export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes as unknown as ArrayBuffer);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/**
 * Checks one file against the manifest. Throws ModelIntegrityError when the file is not listed
 * or its digest differs.
 */
export async function verifyFile(manifest: ModelManifest, path: string, bytes: Uint8Array): Promise<void> {
  const expected = manifest.files[path];
  if (!expected) throw new ModelIntegrityError(`${manifest.name}@${manifest.version}: ${path} is not in the manifest`);
  const actual = await sha256Hex(bytes);
  if (actual !== expected) {
    throw new ModelIntegrityError(
      `${manifest.name}@${manifest.version}: sha256 mismatch for ${path} (expected ${expected.slice(0, 12)}…, got ${actual.slice(0, 12)}…); refusing to load`,
    );
  }
}

/** Reads and verifies every file the manifest lists; returns their bytes by path. */
export async function readVerified(
  manifest: ModelManifest,
  read: (path: string) => Promise<Uint8Array>,
): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const path of Object.keys(manifest.files).sort()) {
    const bytes = await read(path);
    await verifyFile(manifest, path, bytes);
    out.set(path, bytes);
  }
  return out;
}

/** The manifest of a folder's files (path relative to the folder, `/`-separated; manifest.json itself excluded). */
export async function manifestOf(
  files: ReadonlyArray<readonly [path: string, bytes: Uint8Array]>,
  fields: Omit<ModelManifest, 'files' | 'sizeBytes' | 'createdAt'>,
  createdAt: string,
): Promise<ModelManifest> {
  const hashes: Record<string, string> = {};
  let sizeBytes = 0;
  for (const [p, bytes] of [...files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    hashes[p] = await sha256Hex(bytes);
    sizeBytes += bytes.byteLength;
  }
  return { ...fields, files: hashes, sizeBytes, createdAt };
}
