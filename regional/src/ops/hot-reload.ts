/**
 * Hot reload of the in-process models (classifier, reranker, embedder): when the registry names
 * a new production version of the model serving a role, its files are re-verified, it is loaded
 * and warmed beside the serving one, then swapped in behind its own batcher (in-flight work
 * finishes on the old one, released after it drains); the classifier's drift baseline follows
 * it, and an embedder swap moves vector search and re-embedding to the new version. A corrupt or
 * mismatching artifact (its files or manifest.json no longer those registered, or of another
 * kind) is refused, logged and counted (switchyard_model_reloads_total{result="refused"}), and
 * the old version keeps serving.
 * Remote backends (KServe, Bedrock) are not watched: their models are deployed where they run.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sameFiles } from '../../../shared/api/active-models.ts';
import type { LoadedModelInfo } from '../inference/hf-models.ts';
import type { Services } from '../services.ts';
import type { ModelKind, ModelVersionRecord } from '../store/types.ts';
import { isDriftBaseline } from './drift.ts';
import { setDriftBaseline } from './drift-monitor.ts';
import { watchProduction, type PromotionWatch } from './promotion-watch.ts';
import { artifactFolder, RegistryInputError } from './register-folder.ts';

export type ReloadableRole = 'classifier' | 'reranker' | 'embedder';

const ROLES: Record<ReloadableRole, { kind: ModelKind; swap: (s: Services, dir: string) => Promise<LoadedModelInfo>; after?: (v: ModelVersionRecord) => void }> = {
  classifier: {
    kind: 'intent-classifier',
    swap: (s, dir) => s.swapClassifier(dir),
    after: (v) => setDriftBaseline(v.baseline && isDriftBaseline(v.baseline) ? v.baseline : null),
  },
  reranker: { kind: 'cross-encoder', swap: (s, dir) => s.swapReranker(dir) },
  embedder: { kind: 'sentence-embedder', swap: (s, dir) => s.swapEmbedder(dir) },
};

/**
 * The folder's manifest.json (not hashed; the loader reads the model's name and version from it)
 * must still describe the registered version: same name, version and file digests.
 */
async function checkFolderManifest(v: ModelVersionRecord): Promise<void> {
  const dir = artifactFolder(v);
  const path = dir && join(dir, 'manifest.json');
  let m: { name?: unknown; version?: unknown; files?: Record<string, string> } | null = null;
  try {
    m = path ? JSON.parse(await readFile(path, 'utf8')) : null;
  } catch {
    // missing or not JSON: refused below
  }
  if (!m || m.name !== v.name || m.version !== v.version || !m.files || !sameFiles(m.files, v.files)) {
    throw new RegistryInputError('MODEL_INTEGRITY', `${v.name}@${v.version}: ${path ?? v.artifactUri} does not describe the registered version`);
  }
}

/** The in-process model serving a role (a loaded folder, not a remote backend), or null. */
function localModel(s: Services, role: ReloadableRole): LoadedModelInfo | null {
  const info = s.models.find((m) => m.role === role)?.info;
  return info && 'path' in info ? info : null;
}

/** One watch per role served in process; `check` checks them all. Null when there is none. */
export function startHotReload(s: Services, opts: { intervalMs?: number; log?: (m: string) => void; roles?: ReloadableRole[] } = {}): PromotionWatch | null {
  const log = opts.log ?? console.log;
  const watches: PromotionWatch[] = [];
  for (const role of opts.roles ?? (Object.keys(ROLES) as ReloadableRole[])) {
    const info = localModel(s, role);
    if (!info) continue;
    const { kind, swap, after } = ROLES[role];
    watches.push(
      watchProduction(s.store.registry, info.name, {
        current: info.version,
        intervalMs: opts.intervalMs,
        onPromoted: async (v) => {
          if (v.kind !== kind) throw new Error(`${v.name}@${v.version} is a ${v.kind}, not a ${kind}`);
          await checkFolderManifest(v);
          await swap(s, v.artifactUri);
          after?.(v);
          s.metrics.modelReloads.inc({ role, result: 'loaded' });
          log(`hot-reloaded ${role} ${v.name}@${v.version} (promoted by ${v.promotedBy ?? 'unknown'})`);
        },
        onRefused: (v, reason) => {
          s.metrics.modelReloads.inc({ role, result: 'refused' });
          log(`refused ${role} ${v.name}@${v.version}: ${reason.message}; the old version keeps serving`);
        },
      }),
    );
  }
  if (!watches.length) return null;
  return {
    check: async () => void (await Promise.all(watches.map((w) => w.check()))),
    stop: () => watches.forEach((w) => w.stop()),
  };
}

/** The classifier's hot reload alone (what the region ran before the other roles reloaded too). */
export const startClassifierHotReload = (s: Services, opts: { intervalMs?: number; log?: (m: string) => void } = {}) => startHotReload(s, { ...opts, roles: ['classifier'] });
