/**
 * Fetches the widget's model and runtime files once and keeps them in the Cache Storage API,
 * content-addressed by sha256: every file is checked against the digest the bundle pins (the
 * model manifests, the runtime file list) before it is used or stored. A cached copy that no
 * longer matches is dropped and fetched again; a fetched file that does not match is refused
 * with ModelIntegrityError and never stored.
 */
import { ModelIntegrityError, sha256Hex } from '../../../shared/models/manifest.ts';

export const CACHE_NAME = 'switchyard-files-v1';

export interface TransferStats {
  /** Bytes received from the network (decoded body sizes). */
  networkBytes: number;
  /** Bytes read back from Cache Storage. */
  cacheBytes: number;
  /** Files fetched from the network / read from the cache. */
  networkFiles: number;
  cacheFiles: number;
}

export class VerifiedFiles {
  readonly stats: TransferStats = { networkBytes: 0, cacheBytes: 0, networkFiles: 0, cacheFiles: 0 };
  /** Files of this page load by digest, so a file two models share is read once. */
  private readonly pending = new Map<string, Promise<Uint8Array>>();

  private constructor(
    private readonly cache: Cache | null,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Opens the file cache. Needs a secure context (https or localhost) for Web Crypto; Cache
   * Storage is used when available and skipped (files fetched each time) when it is not.
   */
  static async open(opts: { timeoutMs?: number } = {}): Promise<VerifiedFiles> {
    if (!globalThis.crypto?.subtle) throw new VerifiedFilesError('NO_WEB_CRYPTO', 'Web Crypto is unavailable (not a secure context)');
    let cache: Cache | null = null;
    try {
      cache = globalThis.caches ? await caches.open(CACHE_NAME) : null;
    } catch {
      cache = null;
    }
    return new VerifiedFiles(cache, opts.timeoutMs ?? 60_000);
  }

  /** The bytes of `url`, which must hash to `sha256`; `label` names the file in errors. */
  read(url: URL, sha256: string, label: string): Promise<Uint8Array> {
    let p = this.pending.get(sha256);
    if (!p) {
      p = this.load(url, sha256, label);
      this.pending.set(sha256, p);
      p.catch(() => this.pending.delete(sha256));
    }
    return p;
  }

  private async load(url: URL, sha256: string, label: string): Promise<Uint8Array> {
    const key = this.keyFor(url, sha256);
    if (this.cache) {
      const hit = await this.cache.match(key).catch(() => undefined);
      if (hit) {
        const bytes = new Uint8Array(await hit.arrayBuffer());
        if ((await sha256Hex(bytes)) === sha256) {
          this.stats.cacheBytes += bytes.byteLength;
          this.stats.cacheFiles++;
          return bytes;
        }
        await this.cache.delete(key).catch(() => false);
      }
    }
    // The URL names the content (files/<sha256>…), so the HTTP cache may keep it (served immutable).
    const res = await fetch(url, { signal: AbortSignal.timeout(this.timeoutMs) }).catch((e: Error) => {
      throw new VerifiedFilesError('FETCH_FAILED', `${label}: ${e.message}`);
    });
    if (!res.ok) throw new VerifiedFilesError('FETCH_FAILED', `${label}: HTTP ${res.status}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    this.stats.networkBytes += bytes.byteLength;
    this.stats.networkFiles++;
    const actual = await sha256Hex(bytes);
    if (actual !== sha256) {
      throw new ModelIntegrityError(`${label}: sha256 mismatch (expected ${sha256.slice(0, 12)}…, got ${actual.slice(0, 12)}…); refusing to load`);
    }
    if (this.cache) {
      await this.cache
        .put(key, new Response(bytes as unknown as BodyInit, { headers: { 'content-type': 'application/octet-stream', 'x-source': url.href } }))
        .catch(() => undefined); // quota: still usable for this page load
    }
    return bytes;
  }

  /** Cache key: one entry per digest, beside the files it came from. */
  private keyFor(url: URL, sha256: string): string {
    return new URL(`/__switchyard/sha256/${sha256}`, url).href;
  }

  /** Drops every cached file whose digest is not in `keep` (older model versions). */
  async prune(keep: Iterable<string>): Promise<number> {
    if (!this.cache) return 0;
    const wanted = new Set(keep);
    let removed = 0;
    for (const req of await this.cache.keys()) {
      const digest = new URL(req.url).pathname.split('/').pop() ?? '';
      if (!wanted.has(digest) && (await this.cache.delete(req))) removed++;
    }
    return removed;
  }
}

export class VerifiedFilesError extends Error {
  constructor(
    readonly code: 'NO_WEB_CRYPTO' | 'FETCH_FAILED',
    message: string,
  ) {
    super(message);
    this.name = 'VerifiedFilesError';
  }
}
