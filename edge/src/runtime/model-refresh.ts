/**
 * The edge follows promotions in the region's registry without a redeploy. At most every
 * MODEL_REFRESH_INTERVAL_MS an isolate asks the region for its production versions (in the
 * background of a request, through ctx.waitUntil, never on its critical path). When the version
 * of our classifier or embedder (matched by model name) differs from the one serving, its files
 * are downloaded within MODEL_DOWNLOAD_TIMEOUT_MS, every file is checked against the sha256 the
 * region recorded at registration, the folder's manifest.json must name the same version and the
 * same files and digests, and the new onnxruntime-web session is created and warmed (its outputs
 * sane, its labels covered by the routing rules) — only then is it swapped in for new requests.
 * On any failure the current version (the deployed one by default) keeps serving; the refusal is
 * logged, counted and shown on /v1/models, and that version is not tried again until the
 * region's record of it changes. Each isolate keeps its own models, so a fleet converges within
 * about one interval of traffic per isolate. A region whose list is another domain's (models are
 * keyed by domain) is not followed at all: the check fails, naming both domains.
 */
import { ACTIVE_MODELS_PATH, ActiveModels, modelFileUrl, sameFiles, type ActiveModel } from '../../../shared/api/active-models.ts';
import { ModelIntegrityError, verifyFile, type ModelManifest } from '../../../shared/models/manifest.ts';
import type { EdgeEnv } from '../env.ts';
import { bundledDomain } from '../domain/bundled-domain.ts';
import { installModels } from '../edge-deps.ts';
import { edgeMetrics, type EdgeModelRole } from '../http/metrics.ts';
import type { VerifiedFolder } from './asset-models.ts';
import { edgeModels, loadClassifier, loadEmbedder, withModel, type EdgeModels } from './edge-models.ts';

const KIND: Record<EdgeModelRole, string> = { classifier: 'intent-classifier', embedder: 'sentence-embedder' };
const ROLES: EdgeModelRole[] = ['classifier', 'embedder'];
/** No model file the edge can hold is larger (Workers have 128 MB per isolate). */
const MAX_FILE_BYTES = 48 * 1024 * 1024;
const CHECK_TIMEOUT_MS = 5000;

export interface RefreshConfig {
  regionUrl: string;
  apiKey?: string;
  intervalMs: number;
  downloadTimeoutMs: number;
}

/** Where a reload's time went (ms on workerd's coarse clock): files, session creation and warm-up, and the swap (template vectors). */
export interface LoadTimings {
  downloadMs: number;
  loadMs: number;
  installMs: number;
}

export interface Refusal {
  role: EdgeModelRole;
  name: string;
  version: string;
  reason: string;
  at: string;
}

interface RefreshState {
  lastCheckAt: number;
  lastCheckOk: boolean | null;
  lastError: string | null;
  running: Promise<void> | null;
  /** The refused record per role, by its fingerprint (name, version and files). */
  refused: Map<EdgeModelRole, { key: string; refusal: Refusal }>;
  loaded: Map<EdgeModelRole, LoadTimings & { version: string; at: string }>;
}

const st: RefreshState = { lastCheckAt: 0, lastCheckOk: null, lastError: null, running: null, refused: new Map(), loaded: new Map() };

/** The refresher's settings from the Worker's vars; null when it is off (interval 0, or no models). */
export function refreshConfig(env: EdgeEnv): RefreshConfig | null {
  const intervalMs = Number(env.MODEL_REFRESH_INTERVAL_MS ?? 60_000);
  if (!(intervalMs > 0) || (env.EDGE_MODELS ?? 'on') === 'off' || !env.REGIONAL_URL) return null;
  return { regionUrl: env.REGIONAL_URL, apiKey: env.REGION_API_KEY, intervalMs, downloadTimeoutMs: Number(env.MODEL_DOWNLOAD_TIMEOUT_MS ?? 30_000) || 30_000 };
}

/** Starts a check in the background when one is due (call on any request; returns at once). */
export function scheduleModelRefresh(env: EdgeEnv, waitUntil: (p: Promise<unknown>) => void): void {
  const cfg = refreshConfig(env);
  if (!cfg || st.running || Date.now() - st.lastCheckAt < cfg.intervalMs) return;
  st.lastCheckAt = Date.now();
  st.running = refresh(env, cfg)
    .catch((e) => console.error('model refresh failed:', (e as Error).message))
    .finally(() => (st.running = null));
  waitUntil(st.running);
}

/** What /v1/models shows about the refresher. */
export function refreshStatus(env: EdgeEnv) {
  const cfg = refreshConfig(env);
  return {
    enabled: !!cfg,
    intervalMs: cfg?.intervalMs ?? 0,
    lastCheckAt: st.lastCheckAt ? new Date(st.lastCheckAt).toISOString() : null,
    lastCheckOk: st.lastCheckOk,
    lastError: st.lastError,
    loaded: Object.fromEntries(st.loaded),
    refused: [...st.refused.values()].map((r) => r.refusal),
  };
}

const fingerprint = (name: string, version: string, files: Record<string, string>) =>
  `${name}@${version}:${Object.keys(files)
    .sort()
    .map((k) => `${k}=${files[k]}`)
    .join(',')}`;

async function refresh(env: EdgeEnv, cfg: RefreshConfig): Promise<void> {
  const state = await edgeModels(env);
  if (!state.ok) return; // no deployed models to compare with or fall back to: nothing to refresh
  let active: ActiveModels;
  try {
    const res = await fetch(new URL(ACTIVE_MODELS_PATH, cfg.regionUrl), { headers: authHeaders(cfg), signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
    if (!res.ok) throw new Error(`${ACTIVE_MODELS_PATH}: HTTP ${res.status}`);
    const parsed = ActiveModels.safeParse(await res.json());
    if (!parsed.success) throw new Error(`${ACTIVE_MODELS_PATH}: unexpected body (${parsed.error.issues[0]?.message})`);
    // Models are keyed by domain: another domain's production versions are never this Worker's.
    if (parsed.data.domain && parsed.data.domain !== bundledDomain.name) {
      throw new Error(`${ACTIVE_MODELS_PATH}: the region serves domain ${parsed.data.domain}, this Worker ${bundledDomain.name}; following none of its models`);
    }
    active = parsed.data;
  } catch (e) {
    st.lastCheckOk = false;
    st.lastError = (e as Error).message;
    edgeMetrics.check('failed');
    return;
  }
  st.lastCheckOk = true;
  st.lastError = null;
  let changed = false;
  for (const role of ROLES) {
    const current = ((await edgeModels(env)) as { ok: true; models: EdgeModels }).models;
    const man = current.manifests[role];
    const rec = active.models.find((m) => m.name === man.name);
    if (!rec) continue;
    const key = fingerprint(rec.name, rec.version, rec.files);
    if (key === fingerprint(man.name, man.version, man.files) || st.refused.get(role)?.key === key) continue;
    changed = true;
    try {
      const t0 = Date.now();
      const src = await download(role, rec, cfg);
      const t1 = Date.now();
      await pause();
      const loaded = role === 'classifier' ? await loadClassifier(src) : await loadEmbedder(src);
      const t2 = Date.now();
      await pause();
      await installModels(env, withModel(current, loaded, t2 - t0));
      const timings = { downloadMs: t1 - t0, loadMs: t2 - t1, installMs: Date.now() - t2 };
      st.refused.delete(role);
      st.loaded.set(role, { version: loaded.version, at: new Date().toISOString(), ...timings });
      edgeMetrics.reload(role, 'loaded');
      console.log(`edge ${role} now ${loaded.version} from the region: verified and warmed (${JSON.stringify(timings)})`);
    } catch (e) {
      const reason = (e as Error).message;
      st.refused.set(role, { key, refusal: { role, name: rec.name, version: rec.version, reason, at: new Date().toISOString() } });
      edgeMetrics.reload(role, 'refused');
      console.error(`edge refused ${rec.name}@${rec.version}: ${reason}; ${man.name}@${man.version} keeps serving`);
    }
  }
  edgeMetrics.check(changed ? 'changed' : 'unchanged');
}

function authHeaders(cfg: RefreshConfig): Record<string, string> {
  return cfg.apiKey ? { authorization: `Bearer ${cfg.apiKey}` } : {};
}

/** Lets requests queued behind the refresh run between its heavy steps. */
const pause = () => new Promise((r) => setTimeout(r, 0));

/** Downloads and verifies one version's files; throws (ModelIntegrityError for a bad file) on any problem. */
async function download(role: EdgeModelRole, rec: ActiveModel, cfg: RefreshConfig): Promise<VerifiedFolder> {
  const where = `${rec.name}@${rec.version}`;
  if (rec.kind !== KIND[role]) throw new Error(`${where} is a ${rec.kind}, not a ${KIND[role]}`);
  if (rec.sizeBytes > MAX_FILE_BYTES * 2) throw new Error(`${where} is ${rec.sizeBytes} bytes, more than the edge holds`);
  const signal = AbortSignal.timeout(cfg.downloadTimeoutMs);
  const get = async (path: string): Promise<Uint8Array> => {
    let res: Response;
    try {
      res = await fetch(modelFileUrl(cfg.regionUrl, rec, path), { headers: authHeaders(cfg), signal });
    } catch (e) {
      throw new Error(`${where}: ${path}: ${signal.aborted ? `download took over ${cfg.downloadTimeoutMs} ms` : (e as Error).message}`);
    }
    if (!res.ok) throw new Error(`${where}: ${path}: HTTP ${res.status}`);
    if (Number(res.headers.get('content-length') ?? 0) > MAX_FILE_BYTES) throw new Error(`${where}: ${path} is over ${MAX_FILE_BYTES} bytes`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.byteLength > MAX_FILE_BYTES) throw new Error(`${where}: ${path} is over ${MAX_FILE_BYTES} bytes`);
    return bytes;
  };
  let manifest: ModelManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(await get('manifest.json'))) as ModelManifest;
  } catch (e) {
    throw new ModelIntegrityError(`${where}: manifest.json is not readable JSON (${(e as Error).message})`);
  }
  if (manifest?.name !== rec.name || manifest.version !== rec.version || manifest.kind !== rec.kind) {
    throw new ModelIntegrityError(`${where}: manifest.json names ${manifest?.name}@${manifest?.version} (${manifest?.kind})`);
  }
  if (!manifest.files || typeof manifest.files !== 'object' || !sameFiles(manifest.files, rec.files)) {
    throw new ModelIntegrityError(`${where}: manifest.json lists other files or digests than the region's registry; refusing to load`);
  }
  // Each file against the registry's digest as it arrives (a bad one stops the download); those
  // are manifest.json's digests too (checked above), so the folder is verified once.
  const registered = { ...manifest, files: rec.files };
  const files = new Map<string, Uint8Array>();
  for (const path of Object.keys(rec.files).sort()) {
    const bytes = await get(path);
    await verifyFile(registered, path, bytes);
    files.set(path, bytes);
    await pause();
  }
  return { manifest, files };
}
