/**
 * The semantic cache's storage on the visitor's device: IndexedDB, one record per answer (its
 * vector, intent, entity signature, embedder version, TTL) plus an epoch counter bumped by
 * clear(), so other tabs of the same store notice an invalidation. The policy (threshold, intent,
 * entity guard, TTL) is the shared SemanticCache's, the same as at the edge.
 */
import type { CacheAnswer, CacheEntry, CacheEntryMeta, CacheStorage } from '../../../shared/cache/semantic-cache.ts';

const ENTRIES = 'entries';
const META = 'meta';

function done<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

function finished(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

interface StoredEntry extends Omit<CacheEntry, 'vector'> {
  vector: Float32Array;
}

export class IdbCacheStorage implements CacheStorage {
  private constructor(
    private readonly db: IDBDatabase,
    private readonly maxEntries: number,
  ) {}

  /** Opens (or creates) the database; rejects when IndexedDB is unavailable. */
  static async open(name = 'switchyard-cache', opts: { maxEntries?: number } = {}): Promise<IdbCacheStorage> {
    if (!globalThis.indexedDB) throw new Error('IndexedDB is unavailable');
    const req = indexedDB.open(name, 1);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(ENTRIES)) {
        const s = db.createObjectStore(ENTRIES, { keyPath: 'id' });
        s.createIndex('createdAt', 'createdAt');
      }
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
    };
    const db = await done(req);
    return new IdbCacheStorage(db, opts.maxEntries ?? 500);
  }

  async loadSince(modelVersion: string, sinceMs: number, now: number): Promise<CacheEntryMeta[]> {
    const tx = this.db.transaction(ENTRIES, 'readonly');
    const range = IDBKeyRange.lowerBound(sinceMs);
    const rows = (await done(tx.objectStore(ENTRIES).index('createdAt').getAll(range))) as StoredEntry[];
    return rows
      .filter((r) => r.modelVersion === modelVersion && r.expiresAt > now)
      .map((r) => ({ id: r.id, intent: r.intent, entitySig: r.entitySig, modelVersion: r.modelVersion, createdAt: r.createdAt, expiresAt: r.expiresAt, vector: r.vector }));
  }

  async getAnswer(id: string): Promise<CacheAnswer | null> {
    const tx = this.db.transaction(ENTRIES, 'readonly');
    const row = (await done(tx.objectStore(ENTRIES).get(id))) as StoredEntry | undefined;
    return row ? { question: row.question, answer: row.answer, sources: row.sources } : null;
  }

  /** Stores an entry, then drops expired entries and the oldest beyond `maxEntries`. */
  async put(entry: CacheEntry): Promise<void> {
    const tx = this.db.transaction(ENTRIES, 'readwrite');
    const store = tx.objectStore(ENTRIES);
    store.put({ ...entry, vector: Float32Array.from(entry.vector) });
    const now = Date.now();
    const count = await done(store.count());
    let excess = count - this.maxEntries;
    const cursorReq = store.index('createdAt').openCursor();
    await new Promise<void>((resolve, reject) => {
      cursorReq.onerror = () => reject(cursorReq.error);
      cursorReq.onsuccess = () => {
        const cur = cursorReq.result;
        if (!cur) return resolve();
        const row = cur.value as StoredEntry;
        if (row.id !== entry.id && (excess > 0 || row.expiresAt <= now)) {
          cur.delete();
          excess--;
        }
        cur.continue();
      };
    });
    await finished(tx);
  }

  async clear(): Promise<number> {
    const tx = this.db.transaction([ENTRIES, META], 'readwrite');
    const n = await done(tx.objectStore(ENTRIES).count());
    tx.objectStore(ENTRIES).clear();
    const meta = tx.objectStore(META);
    const epoch = ((await done(meta.get('epoch'))) as number | undefined) ?? 0;
    meta.put(epoch + 1, 'epoch');
    await finished(tx);
    return n;
  }

  /** Deletes one entry or every entry of an intent (the page's own cache follows the edge's admin deletions) and bumps the epoch. */
  async remove(which: { id: string } | { intent: string }): Promise<string[]> {
    const tx = this.db.transaction([ENTRIES, META], 'readwrite');
    const store = tx.objectStore(ENTRIES);
    const rows = (await done(store.getAll())) as StoredEntry[];
    const ids = rows.filter((r) => ('id' in which ? r.id === which.id : r.intent === which.intent)).map((r) => r.id);
    for (const id of ids) store.delete(id);
    if (ids.length) {
      const meta = tx.objectStore(META);
      meta.put((((await done(meta.get('epoch'))) as number | undefined) ?? 0) + 1, 'epoch');
    }
    await finished(tx);
    return ids;
  }

  async epoch(): Promise<number> {
    const tx = this.db.transaction(META, 'readonly');
    return ((await done(tx.objectStore(META).get('epoch'))) as number | undefined) ?? 0;
  }

  close(): void {
    this.db.close();
  }
}
