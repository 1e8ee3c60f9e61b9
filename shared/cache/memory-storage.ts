/** CacheStorage in memory: for one process or one browser tab (the on-device widget's cache). */
import type { CacheAnswer, CacheEntry, CacheEntryMeta, CacheStorage } from './semantic-cache.ts';

export class MemoryCacheStorage implements CacheStorage {
  private readonly entries = new Map<string, CacheEntry>();
  private epochValue = 0;

  async loadSince(modelVersion: string, sinceMs: number, now: number): Promise<CacheEntryMeta[]> {
    return [...this.entries.values()]
      .filter((e) => e.modelVersion === modelVersion && e.createdAt >= sinceMs && e.expiresAt > now)
      .sort((a, b) => a.createdAt - b.createdAt);
  }

  async getAnswer(id: string): Promise<CacheAnswer | null> {
    const e = this.entries.get(id);
    return e ? { question: e.question, answer: e.answer, sources: e.sources } : null;
  }

  async put(entry: CacheEntry): Promise<void> {
    this.entries.set(entry.id, entry);
  }

  async clear(): Promise<number> {
    const n = this.entries.size;
    this.entries.clear();
    this.epochValue++;
    return n;
  }

  async remove(which: { id: string } | { intent: string }): Promise<string[]> {
    const ids = [...this.entries.values()].filter((e) => ('id' in which ? e.id === which.id : e.intent === which.intent)).map((e) => e.id);
    for (const id of ids) this.entries.delete(id);
    if (ids.length) this.epochValue++;
    return ids;
  }

  async epoch(): Promise<number> {
    return this.epochValue;
  }
}
