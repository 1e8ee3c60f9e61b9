/**
 * Registering a model folder: its manifest.json is read and every file's sha256 is checked first
 * (a tampered or unlisted file refuses the registration with MODEL_INTEGRITY); then the version
 * is recorded with its lineage and, for an intent classifier, a drift baseline computed from the
 * classifier's own predictions on a labeled dataset's validation and test splits.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { sameFiles } from '../../../shared/api/active-models.ts';
import { ModelIntegrityError, readVerified, type ModelManifest } from '../../../shared/models/manifest.ts';
import { parseRoutingConfig } from '../../../shared/routing/routing-config-schema.ts';
import { ROUTING_CONFIG_FILE } from '../../../shared/routing/routing-config.ts';
import { MODEL_KINDS, StoreError, type ModelRegistryStore, type ModelVersionRecord } from '../store/types.ts';
import { readJsonlDataset, STORE_INTENTS_DIR } from '../domain/store-files.ts';
import { baselineFromPredictions, type DriftBaseline } from './drift.ts';

/** The demo domain's labeled intents: the default drift baseline data of an intent classifier. */
export { STORE_INTENTS_DIR };

export class RegistryInputError extends Error {
  constructor(
    readonly code: 'INVALID_MANIFEST' | 'MODEL_INTEGRITY' | 'NOT_FOUND',
    message: string,
  ) {
    super(message);
    this.name = 'RegistryInputError';
  }
}

const ManifestShape = z.object({
  name: z.string().min(1),
  version: z.string().min(1),
  kind: z.enum(MODEL_KINDS),
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
  trainingDataSha256: z.string().nullish(),
  settings: z.record(z.string(), z.unknown()).nullish(),
  metrics: z.record(z.string(), z.unknown()).nullish(),
});

export interface InspectedFolder {
  dir: string;
  manifest: ModelManifest;
  /** Sum of the listed files' sizes. */
  sizeBytes: number;
}

/** Reads and verifies a model folder: every listed file matches its sha256 and no file is unlisted. */
export async function inspectModelFolder(dir: string): Promise<InspectedFolder> {
  const abs = resolve(dir);
  const manifestPath = join(abs, 'manifest.json');
  if (!existsSync(manifestPath)) throw new RegistryInputError('NOT_FOUND', `${abs}: no manifest.json`);
  let manifest: ModelManifest;
  try {
    const parsed = ManifestShape.safeParse(JSON.parse(await readFile(manifestPath, 'utf8')));
    if (!parsed.success) {
      const i = parsed.error.issues[0];
      throw new RegistryInputError('INVALID_MANIFEST', `${manifestPath}: ${i.path.join('.') || 'manifest'}: ${i.message}`);
    }
    manifest = parsed.data as unknown as ModelManifest;
  } catch (e) {
    if (e instanceof RegistryInputError) throw e;
    throw new RegistryInputError('INVALID_MANIFEST', `${manifestPath}: not valid JSON (${(e as Error).message})`);
  }
  let sizeBytes = 0;
  try {
    const files = await readVerified(manifest, async (p) => {
      const full = resolve(abs, p);
      if (!full.startsWith(abs + sep)) throw new ModelIntegrityError(`${manifest.name}@${manifest.version}: ${p} points outside the folder`);
      if (!existsSync(full)) throw new ModelIntegrityError(`${manifest.name}@${manifest.version}: ${p} is listed in the manifest but missing`);
      return new Uint8Array(await readFile(full));
    });
    for (const b of files.values()) sizeBytes += b.byteLength;
  } catch (e) {
    if (e instanceof ModelIntegrityError) throw new RegistryInputError('MODEL_INTEGRITY', e.message);
    throw e;
  }
  const present = await listFiles(abs);
  const unlisted = present.filter((p) => p !== 'manifest.json' && !(p in manifest.files));
  if (unlisted.length) {
    throw new RegistryInputError('MODEL_INTEGRITY', `${manifest.name}@${manifest.version}: ${unlisted.join(', ')} not covered by the manifest; refusing to register`);
  }
  return { dir: abs, manifest, sizeBytes };
}

async function listFiles(root: string, dir = root): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(root, full)));
    else out.push(relative(root, full).split(sep).join('/'));
  }
  return out.sort();
}

/**
 * The classifier's predicted intents and confidences on a dataset's validation and test splits,
 * as a drift baseline; null when the dataset has labels the classifier does not know.
 */
export async function intentBaseline(modelDir: string, dataDir: string = STORE_INTENTS_DIR): Promise<DriftBaseline | null> {
  // Loaded on demand: onnxruntime is only needed when a baseline is computed.
  const { loadIntentClassifier } = await import('../inference/load-node.ts');
  const clf = await loadIntentClassifier(modelDir);
  const ds = readJsonlDataset(dataDir);
  const examples = [...(ds.val ?? []), ...ds.test];
  const known = new Set(clf.labels);
  if (!examples.length || examples.some((e) => !known.has(e.label))) return null;
  const preds = [];
  for (let i = 0; i < examples.length; i += 64) preds.push(...(await clf.classify(examples.slice(i, i + 64).map((e) => e.text))));
  return baselineFromPredictions(preds, `${clf.manifest.name}@${clf.manifest.version} on ${ds.name} val+test`);
}

/** The git commit HEAD of the repository holding `dir`, or null (not a repository, no git). */
export function gitHead(dir: string): string | null {
  try {
    const out = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, timeout: 5000, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    return /^[0-9a-f]{40}$/.test(out) ? out : null;
  } catch {
    return null;
  }
}

export interface RegisterOptions {
  registeredBy: string;
  /** Default: the git HEAD of the folder's repository. */
  gitCommit?: string | null;
  parentVersion?: string | null;
  /** Labeled data for the drift baseline of an intent classifier (default: the store intents); null: none. */
  baselineData?: string | null;
  /** Recorded artifact location; default the folder's absolute path. */
  artifactUri?: string;
}

/**
 * Verifies and registers a folder in stage dev. Registering the same name@version again with the
 * same files is a no-op (`created: false`); with different files it is a CONFLICT.
 */
export async function registerModelFolder(registry: ModelRegistryStore, dir: string, opts: RegisterOptions): Promise<{ record: ModelVersionRecord; created: boolean }> {
  const f = await inspectModelFolder(dir);
  const m = f.manifest;
  const existing = await registry.getModelVersion(m.name, m.version);
  if (existing) {
    if (sameFiles(existing.files, m.files)) return { record: existing, created: false };
    throw new StoreError('CONFLICT', `${m.name}@${m.version} is already registered with different files: give the new artifact a new version`);
  }
  if (m.kind === 'routing-config') {
    // A routing config's thresholds must parse before anything may promote or roll them out.
    const path = join(f.dir, ROUTING_CONFIG_FILE);
    if (!existsSync(path)) throw new RegistryInputError('INVALID_MANIFEST', `${m.name}@${m.version}: a routing-config folder needs ${ROUTING_CONFIG_FILE}`);
    try {
      parseRoutingConfig(JSON.parse(await readFile(path, 'utf8')), path);
    } catch (e) {
      throw new RegistryInputError('INVALID_MANIFEST', (e as Error).message);
    }
  }
  const baseline =
    m.kind === 'intent-classifier' && opts.baselineData !== null ? await intentBaseline(f.dir, opts.baselineData ?? STORE_INTENTS_DIR) : null;
  const record = await registry.registerModelVersion({
    name: m.name,
    version: m.version,
    kind: m.kind,
    artifactUri: opts.artifactUri ?? f.dir,
    files: m.files,
    trainingDataSha256: m.trainingDataSha256 ?? null,
    metrics: m.metrics ?? null,
    settings: m.settings ?? null,
    sizeBytes: f.sizeBytes,
    gitCommit: opts.gitCommit === undefined ? gitHead(f.dir) : opts.gitCommit,
    parentVersion: opts.parentVersion ?? null,
    baseline: baseline as unknown as Record<string, unknown> | null,
    registeredBy: opts.registeredBy,
  });
  return { record, created: true };
}

/**
 * Re-checks a registered version's artifact against the sha256 recorded at registration (not
 * against the folder's manifest, which a tamperer could rewrite). Only local folders are checked;
 * returns false for a remote URI it cannot read.
 */
export async function verifyRegisteredArtifact(v: ModelVersionRecord): Promise<boolean> {
  const dir = artifactFolder(v);
  if (!dir) return false;
  const manifest = { name: v.name, version: v.version, files: v.files } as ModelManifest;
  try {
    await readVerified(manifest, async (p) => {
      const full = resolve(dir, p);
      if (!existsSync(full)) throw new ModelIntegrityError(`${v.name}@${v.version}: ${p} is missing from ${dir}`);
      return new Uint8Array(await readFile(full));
    });
  } catch (e) {
    if (e instanceof ModelIntegrityError) throw new RegistryInputError('MODEL_INTEGRITY', e.message);
    throw e;
  }
  return true;
}

/** The local folder of a version's artifact (absolute), or null when it lives elsewhere (s3://, https://). */
export function artifactFolder(v: Pick<ModelVersionRecord, 'artifactUri'>): string | null {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(v.artifactUri) && !v.artifactUri.startsWith('file://')) return null;
  return resolve(v.artifactUri.replace(/^file:\/\//, ''));
}
