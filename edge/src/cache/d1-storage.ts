/** The semantic cache's durable storage in D1, through drizzle. */
import { and, eq, gt, gte, lt, sql } from 'drizzle-orm';
import { drizzle } from 'drizzle-orm/d1';
import type { CacheAnswer, CacheEntry, CacheEntryMeta, CacheStorage } from '../../../shared/cache/semantic-cache.ts';
import { quantize } from '../../../shared/cache/vector-index.ts';
import { ensureMigrated } from './migrate.ts';
import { cacheEntries, cacheMeta } from './schema.ts';

const PAGE = 5000;

export class D1CacheStorage implements CacheStorage {
  private readonly db;

  constructor(private readonly d1: D1Database) {
    this.db = drizzle(d1);
  }

  /** The rows with their answer texts: an isolate that did not store an entry answers a hit on it without another read. */
  async loadSince(modelVersion: string, sinceMs: number, now: number): Promise<(CacheEntryMeta & CacheAnswer)[]> {
    await ensureMigrated(this.d1);
    const out: (CacheEntryMeta & CacheAnswer)[] = [];
    let cursor = sinceMs;
    let lastId = '';
    for (;;) {
      const rows = await this.db
        .select({
          id: cacheEntries.id,
          intent: cacheEntries.intent,
          entitySig: cacheEntries.entitySig,
          modelVersion: cacheEntries.modelVersion,
          createdAt: cacheEntries.createdAt,
          expiresAt: cacheEntries.expiresAt,
          vector: cacheEntries.vector,
          vectorScale: cacheEntries.vectorScale,
          question: cacheEntries.question,
          answer: cacheEntries.answer,
          sources: cacheEntries.sources,
        })
        .from(cacheEntries)
        .where(
          and(
            eq(cacheEntries.modelVersion, modelVersion),
            gt(cacheEntries.expiresAt, now),
            sql`(${cacheEntries.createdAt} > ${cursor} OR (${cacheEntries.createdAt} = ${cursor} AND ${cacheEntries.id} > ${lastId}))`,
          ),
        )
        .orderBy(cacheEntries.createdAt, cacheEntries.id)
        .limit(PAGE);
      for (const { vectorScale, ...r } of rows) out.push({ ...r, vector: decodeVector(r.vector, vectorScale) });
      if (rows.length < PAGE) break;
      cursor = rows[rows.length - 1].createdAt;
      lastId = rows[rows.length - 1].id;
    }
    return out;
  }

  async getAnswer(id: string): Promise<CacheAnswer | null> {
    await ensureMigrated(this.d1);
    const [row] = await this.db
      .select({ question: cacheEntries.question, answer: cacheEntries.answer, sources: cacheEntries.sources })
      .from(cacheEntries)
      .where(eq(cacheEntries.id, id));
    return row ?? null;
  }

  async put(e: CacheEntry): Promise<void> {
    await ensureMigrated(this.d1);
    const { q, scale } = quantize(e.vector);
    const row = {
      id: e.id,
      intent: e.intent,
      entitySig: e.entitySig,
      modelVersion: e.modelVersion,
      question: e.question,
      answer: e.answer,
      sources: e.sources,
      vector: encodeInt8(q),
      vectorScale: scale,
      createdAt: e.createdAt,
      expiresAt: e.expiresAt,
    };
    await this.db.insert(cacheEntries).values(row).onConflictDoUpdate({ target: cacheEntries.id, set: row });
  }

  async clear(): Promise<number> {
    await ensureMigrated(this.d1);
    const [{ n }] = await this.db.select({ n: sql<number>`count(*)` }).from(cacheEntries);
    await this.db.batch([
      this.db.delete(cacheEntries),
      this.db
        .insert(cacheMeta)
        .values({ key: 'epoch', value: 1 })
        .onConflictDoUpdate({ target: cacheMeta.key, set: { value: sql`${cacheMeta.value} + 1` } }),
    ]);
    return n;
  }

  async remove(which: { id: string } | { intent: string }): Promise<string[]> {
    await ensureMigrated(this.d1);
    const where = 'id' in which ? eq(cacheEntries.id, which.id) : eq(cacheEntries.intent, which.intent);
    const rows = await this.db.select({ id: cacheEntries.id }).from(cacheEntries).where(where);
    if (!rows.length) return [];
    await this.db.batch([
      this.db.delete(cacheEntries).where(where),
      this.db
        .insert(cacheMeta)
        .values({ key: 'epoch', value: 1 })
        .onConflictDoUpdate({ target: cacheMeta.key, set: { value: sql`${cacheMeta.value} + 1` } }),
    ]);
    return rows.map((r) => r.id);
  }

  async epoch(): Promise<number> {
    await ensureMigrated(this.d1);
    const [row] = await this.db.select({ value: cacheMeta.value }).from(cacheMeta).where(eq(cacheMeta.key, 'epoch'));
    return row?.value ?? 0;
  }

  /** Removes expired rows (run from a scheduled handler or opportunistically). */
  async purgeExpired(now: number): Promise<void> {
    await ensureMigrated(this.d1);
    await this.db.delete(cacheEntries).where(lt(cacheEntries.expiresAt, now));
  }

  async count(now: number): Promise<number> {
    await ensureMigrated(this.d1);
    const [{ n }] = await this.db.select({ n: sql<number>`count(*)` }).from(cacheEntries).where(gte(cacheEntries.expiresAt, now));
    return n;
  }
}

function encodeInt8(q: Int8Array): string {
  let s = '';
  for (let i = 0; i < q.length; i++) s += String.fromCharCode(q[i] & 0xff);
  return btoa(s);
}

function decodeVector(b64: string, scale: number): Float32Array {
  const s = atob(b64);
  const v = new Float32Array(s.length);
  for (let i = 0; i < s.length; i++) v[i] = ((s.charCodeAt(i) << 24) >> 24) * scale;
  return v;
}
