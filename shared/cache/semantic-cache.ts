/**
 * The semantic cache's policy, independent of where entries are stored: a hit needs the same key
 * frame (intent, entity signature, aspect asked about, no conflicting qualifier — key-frame.ts)
 * AND cosine similarity at or above the intent's calibrated threshold (the tie-breaker within the
 * frame) AND the same embedding-model version, within the entry's TTL. When the region is down, a
 * looser "stale" threshold may serve the nearest answer in the frame, marked as such.
 *
 * Entries live in durable storage (D1 at the edge); this class keeps an in-memory int8 index of
 * their vectors, loaded lazily and refreshed incrementally, and fetches answer texts on a hit.
 */
import type { AspectDetector } from './aspects.ts';
import { frameKey, frameTag, keyFrame, parseFrameKey, type FrameEntity, type KeyFrame } from './key-frame.ts';
import { VectorIndex } from './vector-index.ts';

export interface CacheEntryMeta {
  id: string;
  intent: string;
  /** The stored key frame (frameKey: aspect#qualifier#entity signature). */
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
  /**
   * Entries for this model version created after `sinceMs` (ms), oldest first, not expired at `now`;
   * with their answer texts where the storage reads them in the same query (then a hit on an entry
   * another isolate stored needs no read of its own on the request path).
   */
  loadSince(modelVersion: string, sinceMs: number, now: number): Promise<(CacheEntryMeta & Partial<CacheAnswer>)[]>;
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
  /** Minimum cosine for a normal hit (intents without their own). */
  hit: number;
  /**
   * Minimum cosine for a stale answer served when the region is unavailable. An intent with its
   * own hit threshold keeps the same margin below it (hit − stale).
   */
  stale: number;
  /** Per-intent hit thresholds, calibrated within the key frame (cache.json `intents`). */
  intents?: Record<string, number>;
}

export interface CacheHit {
  id: string;
  similarity: number;
  stale: boolean;
  answer: CacheAnswer;
}

/** One lookup's decision and why: the frame compared, the nearest entry in it and the threshold. */
export interface CacheLookup {
  hit: CacheHit | null;
  frame: KeyFrame;
  /** Cosine of the nearest live entry in the frame (null: the frame is empty). */
  similarity: number | null;
  /** The threshold the similarity was compared with. */
  threshold: number;
}

export interface SemanticCacheOptions {
  modelVersion: string;
  dimensions: number;
  thresholds: CacheThresholds;
  /** The domain's aspects; without them the frame is intent + entity signature. */
  aspects?: AspectDetector | null;
  /** How often (ms) an isolate checks storage for new entries and invalidations. */
  refreshMs?: number;
  /** Answer texts kept in memory. */
  answerCacheSize?: number;
  ivfMinSize?: number;
}

/**
 * Ids of entries seeded from a pack's FAQ (warm-from-faq.ts). They are keyed by the FAQ's own
 * wording, not by a shopper's question, so they answer only at the global hit threshold: the
 * per-intent thresholds were calibrated on paraphrase pairs of shoppers' questions within a key
 * frame, and let a FAQ answer through for any question of its frame ("do you ship to military
 * bases?" → "Can I ship one order to several addresses?").
 */
export const SEEDED_ID_PREFIX = 'faq:';

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

  /** Answer texts held in memory (at most answerCacheSize). */
  get heldAnswers(): number {
    return this.answers.size;
  }

  /** Whether an entry of this id is in this isolate's index (loaded or stored here). */
  has(id: string): boolean {
    return this.index.has(id);
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
    this.index.addMany(rows.map((e) => ({ vector: e.vector, item: indexItem(e) })));
    const cap = this.opts.answerCacheSize ?? 2000;
    for (const r of rows) {
      this.lastCreatedAt = Math.max(this.lastCreatedAt, r.createdAt);
      // Answer texts that came with the rows are kept while there is room (a bulk load never evicts answers in use).
      if (typeof r.answer === 'string' && r.question !== undefined && r.sources && !this.answers.has(r.id) && this.answers.size < cap) this.answers.set(r.id, { question: r.question, answer: r.answer, sources: r.sources });
    }
  }

  private addToIndex(e: CacheEntryMeta): void {
    if (e.modelVersion !== this.opts.modelVersion) return;
    this.index.add(e.vector, indexItem(e));
    this.lastCreatedAt = Math.max(this.lastCreatedAt, e.createdAt);
  }

  /** The key frame of a message: its (resolved) text, intent and (resolved) entities. */
  frame(text: string, intent: string, entities: readonly FrameEntity[]): KeyFrame {
    return keyFrame(text, intent, entities, this.opts.aspects ?? null);
  }

  /** The hit threshold of an intent. */
  hitThreshold(intent: string): number {
    return this.opts.thresholds.intents?.[intent] ?? this.opts.thresholds.hit;
  }

  /** The stale threshold of an intent: the global one, or the global margin below its own hit threshold. */
  staleThreshold(intent: string): number {
    const own = this.opts.thresholds.intents?.[intent];
    const { hit, stale } = this.opts.thresholds;
    return own === undefined ? stale : Math.max(0, own - (hit - stale));
  }

  async lookup(
    vector: Float32Array,
    frame: KeyFrame,
    opts: { now?: number; stale?: boolean; background?: (p: Promise<unknown>) => void } = {},
  ): Promise<CacheLookup> {
    const now = opts.now ?? Date.now();
    await this.ready(now, opts.background);
    // The nearest entry in the frame, whatever its score, so a miss can say how near it came.
    // A stale answer may also be past its TTL: when the region is down, old beats nothing.
    const [best] = this.index.search(vector, frame.intent, frameTag(frame), -1, opts.stale ? 0 : now, 1, frame.qualifier);
    const seeded = best?.item.id.startsWith(SEEDED_ID_PREFIX) ?? false;
    const hitMin = seeded ? Math.max(this.hitThreshold(frame.intent), this.opts.thresholds.hit) : this.hitThreshold(frame.intent);
    const threshold = opts.stale ? Math.min(seeded ? this.opts.thresholds.stale : this.staleThreshold(frame.intent), hitMin) : hitMin;
    const miss: CacheLookup = { hit: null, frame, similarity: best ? best.similarity : null, threshold };
    if (!best || best.similarity < threshold) return miss;
    const answer = await this.answer(best.item.id);
    if (!answer) {
      this.index.remove(best.item.id);
      return miss;
    }
    // Anything the stale path serves is marked: it answers because the region could not.
    const stale = opts.stale === true || best.similarity < hitMin || best.item.expiresAt <= now;
    return { hit: { id: best.item.id, similarity: best.similarity, stale, answer }, frame, similarity: best.similarity, threshold };
  }

  private async answer(id: string): Promise<CacheAnswer | null> {
    const have = this.answers.get(id);
    if (have) {
      this.answers.delete(id);
      this.answers.set(id, have);
      return have;
    }
    const a = await this.storage.getAnswer(id);
    if (a) this.remember(id, a);
    return a;
  }

  /** Keeps an answer text in memory, the least recently used going first past answerCacheSize. */
  private remember(id: string, a: CacheAnswer): void {
    this.answers.set(id, a);
    const cap = this.opts.answerCacheSize ?? 2000;
    while (this.answers.size > cap) this.answers.delete(this.answers.keys().next().value as string);
  }

  /** Stores an answer under its key frame (made by frame() from the same text and entities as the lookup). */
  async store(e: Omit<CacheEntry, 'modelVersion' | 'id' | 'intent' | 'entitySig'> & { id?: string; frame: KeyFrame }): Promise<CacheEntry> {
    const { frame, ...rest } = e;
    const entry: CacheEntry = { ...rest, intent: frame.intent, entitySig: frameKey(frame), id: e.id ?? crypto.randomUUID(), modelVersion: this.opts.modelVersion };
    await this.storage.put(entry);
    this.addToIndex(entry);
    this.remember(entry.id, { question: entry.question, answer: entry.answer, sources: entry.sources });
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

function indexItem(e: CacheEntryMeta) {
  const { tag, qualifier } = parseFrameKey(e.entitySig);
  return { id: e.id, partition: e.intent, tag, qualifier, expiresAt: e.expiresAt };
}
