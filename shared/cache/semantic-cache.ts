/**
 * The semantic cache's policy, independent of where entries are stored: a hit needs cosine
 * similarity at or above the calibrated threshold AND the same intent AND the same entity
 * signature AND the same embedding-model version, within the entry's TTL. When the region is
 * down, a looser "stale" threshold may serve the nearest answer, marked as such.
 *
 * Entries live in durable storage (D1 at the edge); this class keeps an in-memory int8 index of
 * their vectors, loaded lazily and refreshed incrementally, and fetches answer texts on a hit.
 */
import { VectorIndex } from './vector-index.ts';

export interface CacheEntryMeta {
  id: string;
  intent: string;
  entitySig: string;
  modelVersion: string;
  createdAt: number;
  expiresAt: number;
  vector: Float32Array;
}

export interface CacheAnswer {
  question: string;
  answer: string;
  sources: string[];
}

export interface CacheEntry extends CacheEntryMeta, CacheAnswer {}

/** Durable storage behind the cache (D1 at the edge, SQLite in tests and Node). */
export interface CacheStorage {
  /** Entries for this model version created after `sinceMs` (ms), oldest first, not expired at `now`. */
  loadSince(modelVersion: string, sinceMs: number, now: number): Promise<CacheEntryMeta[]>;
  getAnswer(id: string): Promise<CacheAnswer | null>;
  put(entry: CacheEntry): Promise<void>;
  /** Deletes every entry and bumps the epoch; returns how many entries were removed. */
  clear(): Promise<number>;
  /** A counter bumped by every clear() and remove(), so other isolates notice invalidation. */
  epoch(): Promise<number>;
  /** Deletes the entry with this id, or every entry of this intent, and bumps the epoch; returns the ids removed. */
  remove(which: { id: string } | { intent: string }): Promise<string[]>;
}

export interface CacheThresholds {
  /** Minimum cosine for a normal hit. */
  hit: number;
  /** Minimum cosine for a stale answer served when the region is unavailable. */
  stale: number;
}

export interface CacheHit {
  id: string;
  similarity: number;
  stale: boolean;
  answer: CacheAnswer;
}

export interface SemanticCacheOptions {
  modelVersion: string;
  dimensions: number;
  thresholds: CacheThresholds;
  /** How often (ms) an isolate checks storage for new entries and invalidations. */
  refreshMs?: number;
  /** Answer texts kept in memory. */
  answerCacheSize?: number;
  ivfMinSize?: number;
}

export class SemanticCache {
  private index: VectorIndex;
  private loaded: Promise<void> | null = null;
  private lastCreatedAt = 0;
  private lastRefresh = 0;
  private knownEpoch = -1;
  private refreshing: Promise<void> | null = null;
  private readonly answers = new Map<string, CacheAnswer>();

  constructor(
    private readonly storage: CacheStorage,
    readonly opts: SemanticCacheOptions,
  ) {
    this.index = this.newIndex();
  }

  get size(): number {
    return this.index.size;
  }

  private newIndex(): VectorIndex {
    return new VectorIndex({ dimensions: this.opts.dimensions, ivfMinSize: this.opts.ivfMinSize });
  }

  /** Loads the index on first use; later calls return at once and refresh in the background. */
  async ready(now = Date.now(), background?: (p: Promise<unknown>) => void): Promise<void> {
    if (!this.loaded) {
      this.loaded = this.sync(now);
      try {
        await this.loaded;
      } catch (e) {
        this.loaded = null;
        throw e;
      }
      return;
    }
    await this.loaded;
    if (now - this.lastRefresh >= (this.opts.refreshMs ?? 5000) && !this.refreshing) {
      this.refreshing = this.sync(now).finally(() => (this.refreshing = null));
      if (background) background(this.refreshing);
      else await this.refreshing;
    }
  }

  private async sync(now: number): Promise<void> {
    this.lastRefresh = now;
    const epoch = await this.storage.epoch();
    if (epoch !== this.knownEpoch) {
      this.index = this.newIndex();
      this.answers.clear();
      this.lastCreatedAt = 0;
      this.knownEpoch = epoch;
    }
    const rows = (await this.storage.loadSince(this.opts.modelVersion, this.lastCreatedAt, now)).filter((r) => r.modelVersion === this.opts.modelVersion);
    this.index.addMany(rows.map((e) => ({ vector: e.vector, item: { id: e.id, partition: e.intent, tag: e.entitySig, expiresAt: e.expiresAt } })));
    for (const r of rows) this.lastCreatedAt = Math.max(this.lastCreatedAt, r.createdAt);
  }

  private addToIndex(e: CacheEntryMeta): void {
    if (e.modelVersion !== this.opts.modelVersion) return;
    this.index.add(e.vector, { id: e.id, partition: e.intent, tag: e.entitySig, expiresAt: e.expiresAt });
    this.lastCreatedAt = Math.max(this.lastCreatedAt, e.createdAt);
  }

  async lookup(
    vector: Float32Array,
    intent: string,
    entitySig: string,
    opts: { now?: number; stale?: boolean; background?: (p: Promise<unknown>) => void } = {},
  ): Promise<CacheHit | null> {
    const now = opts.now ?? Date.now();
    await this.ready(now, opts.background);
    const min = opts.stale ? this.opts.thresholds.stale : this.opts.thresholds.hit;
    // A stale answer may also be past its TTL: when the region is down, old beats nothing.
    const [best] = this.index.search(vector, intent, entitySig, min, opts.stale ? 0 : now, 1);
    if (!best) return null;
    const answer = await this.answer(best.item.id);
    if (!answer) {
      this.index.remove(best.item.id);
      return null;
    }
    return { id: best.item.id, similarity: best.similarity, stale: best.similarity < this.opts.thresholds.hit || best.item.expiresAt <= now, answer };
  }

  private async answer(id: string): Promise<CacheAnswer | null> {
    const have = this.answers.get(id);
    if (have) {
      this.answers.delete(id);
      this.answers.set(id, have);
      return have;
    }
    const a = await this.storage.getAnswer(id);
    if (a) {
      this.answers.set(id, a);
      const cap = this.opts.answerCacheSize ?? 2000;
      while (this.answers.size > cap) this.answers.delete(this.answers.keys().next().value as string);
    }
    return a;
  }

  async store(e: Omit<CacheEntry, 'modelVersion' | 'id'> & { id?: string }): Promise<CacheEntry> {
    const entry: CacheEntry = { ...e, id: e.id ?? crypto.randomUUID(), modelVersion: this.opts.modelVersion };
    await this.storage.put(entry);
    this.addToIndex(entry);
    this.answers.set(entry.id, { question: entry.question, answer: entry.answer, sources: entry.sources });
    return entry;
  }

  /**
   * Deletes one entry (a wrong answer an operator found) or every entry of an intent (after its
   * policy changed). Other isolates rebuild their index when they see the epoch move.
   */
  async remove(which: { id: string } | { intent: string }): Promise<string[]> {
    const ids = await this.storage.remove(which);
    for (const id of ids) {
      this.index.remove(id);
      this.answers.delete(id);
    }
    this.knownEpoch = await this.storage.epoch();
    return ids;
  }

  async invalidate(): Promise<number> {
    const n = await this.storage.clear();
    this.index = this.newIndex();
    this.answers.clear();
    this.lastCreatedAt = 0;
    this.knownEpoch = await this.storage.epoch();
    return n;
  }
}
