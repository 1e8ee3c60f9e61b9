/**
 * The SQLite Store (better-sqlite3 through drizzle-orm): WAL journal with synchronous=NORMAL, so
 * an acknowledged commit survives a process crash or restart (a power loss may lose the last
 * transactions, never corrupt the file). Full-text search is FTS5 with bm25(); vector search is an
 * exact scan of an in-process matrix of the embeddings, rebuilt lazily after any write (ours, or
 * another connection's, seen through PRAGMA data_version).
 */
import Database from 'better-sqlite3';
import { and, asc, count, desc, eq, inArray, isNull, sql } from 'drizzle-orm';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { fileURLToPath } from 'node:url';
import { fts5MatchQuery, mergeHits, ngramTerms } from './fts-query.ts';
import { mapConstraintErrors } from './constraint-errors.ts';
import { addUsage, apiKeyRow, chunkRowBatches, conversationUpsert, documentColumns, answersBeyond, embeddedWith, sameQuestion, logsOfModel, noUsage, staleAfter, toDocument, turnColumns, turnRows } from './rows.ts';
import { SqliteOpsSamples } from './ops-samples-sqlite.ts';
import { SqliteOrderChecks } from './order-checks-sqlite.ts';
import { SqliteBatchJobs } from './batch-jobs-sqlite.ts';
import { SqliteRegistry } from './registry-sqlite.ts';
import * as schema from './schema.sqlite.ts';
import type { ApiKeyRecord, ChunkHit, ChunkInput, ChunkRecord, ConversationRecord, DocumentInput, DocumentRecord, DocumentSummary, EmbeddingOptions, FallbackAnswerInput, FallbackAnswerRecord, NewApiKey, PredictionLogInput, PredictionLogRecord, StaleChunk, Store, StoreOptions, TurnInput, TurnRecord, UsageDelta, UsageRecord } from './types.ts';
import { StoreError } from './types.ts';
import { checkChunkEmbeddings, checkDay, checkDocument, checkFallbackAnswer, checkId, checkK, checkKeyHash, checkLimit, checkNewApiKey, checkPredictionLog, checkQuery, checkStaleQuery, checkSameEmbedding, checkEmbeddingOptions, checkStoreOptions, checkTurn, checkUsageDelta, checkVector } from './validate.ts';
import { decodeFloat32, encodeFloat32 } from './vector-codec.ts';
import { VectorMatrix } from './vector-matrix.ts';

const { documents, chunks, apiKeys, usage, conversations, turns, predictionLogs, fallbackAnswers } = schema;

export const SQLITE_MIGRATIONS = fileURLToPath(new URL('../../drizzle/sqlite', import.meta.url));

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  private embedding: EmbeddingOptions;
  private readonly db: BetterSQLite3Database<typeof schema>;
  private matrix: VectorMatrix | null = null;
  private matrixDataVersion = -1;
  private closed = false;
  readonly registry: SqliteRegistry;
  readonly batchJobs: SqliteBatchJobs;
  readonly opsSamples: SqliteOpsSamples;
  readonly orderChecks: SqliteOrderChecks;

  private constructor(
    private readonly sqlite: Database.Database,
    opts: StoreOptions,
  ) {
    this.embedding = { dimensions: opts.dimensions, embeddingVersion: opts.embeddingVersion };
    this.db = drizzle({ client: sqlite, schema });
    this.registry = new SqliteRegistry(this.db, () => this.live(), opts.domain);
    this.batchJobs = new SqliteBatchJobs(this.db, () => this.live());
    this.opsSamples = new SqliteOpsSamples(this.db, () => this.live());
    this.orderChecks = new SqliteOrderChecks(this.db, () => this.live());
  }

  /** Opens (creating if needed) the database file or `:memory:` and applies pending migrations. */
  static open(path: string, options: StoreOptions): SqliteStore {
    const opts = checkStoreOptions(options);
    const sqlite = new Database(path, { timeout: 5000 });
    try {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('synchronous = NORMAL');
      sqlite.pragma('foreign_keys = ON');
      sqlite.pragma('busy_timeout = 5000');
      const store = new SqliteStore(sqlite, opts);
      migrate(store.db, { migrationsFolder: SQLITE_MIGRATIONS });
      return store;
    } catch (e) {
      sqlite.close();
      throw e;
    }
  }

  private live(): void {
    if (this.closed) throw new StoreError('CLOSED', 'the store is closed');
  }

  // ---- documents and chunks -------------------------------------------------------------

  async upsertDocument(doc: DocumentInput, input: ChunkInput[]): Promise<{ document: DocumentRecord; chunks: number }> {
    this.live();
    const { doc: d, chunks: cs } = checkDocument(doc, input, this);
    const { values, set } = documentColumns(d, new Date());
    const document = this.db.transaction((tx) => {
      const row = tx.insert(documents).values(values).onConflictDoUpdate({ target: documents.id, set }).returning().get();
      tx.delete(chunks).where(eq(chunks.documentId, d.id)).run();
      for (const batch of chunkRowBatches(d.id, cs, encodeFloat32)) tx.insert(chunks).values(batch).run();
      return row;
    });
    this.matrix = null;
    return { document: toDocument(document), chunks: cs.length };
  }

  async deleteDocument(id: string): Promise<boolean> {
    this.live();
    const r = this.db.delete(documents).where(eq(documents.id, checkId(id, 'id'))).run();
    if (r.changes > 0) this.matrix = null;
    return r.changes > 0;
  }

  async getDocument(id: string): Promise<(DocumentRecord & { chunks: ChunkRecord[] }) | null> {
    this.live();
    const doc = this.db.select().from(documents).where(eq(documents.id, checkId(id, 'id'))).get();
    if (!doc) return null;
    const rows = this.db
      .select({ id: chunks.id, documentId: chunks.documentId, ordinal: chunks.ordinal, text: chunks.text, tokenCount: chunks.tokenCount, embeddingVersion: chunks.embeddingVersion })
      .from(chunks)
      .where(eq(chunks.documentId, doc.id))
      .orderBy(asc(chunks.ordinal))
      .all();
    return { ...toDocument(doc), chunks: rows };
  }

  async listDocuments(source?: string): Promise<DocumentSummary[]> {
    this.live();
    const q = this.db.select({ id: documents.id, source: documents.source, contentHash: documents.contentHash }).from(documents);
    return (source === undefined ? q : q.where(eq(documents.source, source))).orderBy(asc(documents.id)).all();
  }

  async stats(): Promise<{ documents: number; chunks: number; embeddedChunks: number }> {
    this.live();
    const d = this.db.select({ n: count() }).from(documents).get()!.n;
    const c = this.db.select({ n: count() }).from(chunks).get()!.n;
    const e = this.db.select({ n: count() }).from(chunks).where(embeddedWith(chunks, this.embeddingVersion)).get()!.n;
    return { documents: d, chunks: c, embeddedChunks: e };
  }

  async staleChunks(limit: number, afterId?: number): Promise<StaleChunk[]> {
    this.live();
    const q = checkStaleQuery(limit, afterId);
    return this.db.select({ id: chunks.id, text: chunks.text }).from(chunks).where(staleAfter(chunks, this.embeddingVersion, q.afterId)).orderBy(asc(chunks.id)).limit(q.limit).all();
  }

  async setChunkEmbeddings(rows: { id: number; embedding: Float32Array | readonly number[] }[], embeddingVersion?: string): Promise<number> {
    this.live();
    checkSameEmbedding(this.embeddingVersion, embeddingVersion);
    const checked = checkChunkEmbeddings(rows, this.dimensions);
    const changed = this.db.transaction((tx) =>
      checked.reduce((n, r) => n + tx.update(chunks).set({ embedding: encodeFloat32(r.embedding), embeddingVersion: this.embeddingVersion }).where(eq(chunks.id, r.id)).run().changes, 0),
    );
    if (changed) this.matrix = null;
    return changed;
  }

  /** Word hits (porter FTS5), after the substring hits of unsegmented scripts (trigram FTS5), when the query has those. */
  async searchText(query: string, k: number): Promise<ChunkHit[]> {
    this.live();
    const words = this.wordHits(checkQuery(query), checkK(k));
    const { trigrams, pairs } = ngramTerms(query);
    if (!trigrams.length && !pairs.length) return words;
    return mergeHits(this.substringHits(trigrams, pairs, k), words, k);
  }

  /** Chunks holding the most of the query's trigrams (bm25 over chunks_trgm), or, with only two-character runs, those holding one. */
  private substringHits(trigrams: string[], pairs: string[], limit: number): ChunkHit[] {
    const cols = sql`c.id AS chunkId, c.document_id AS documentId, c.ordinal AS ordinal, c.text AS text, d.title AS title, d.source AS source, d.url AS url`;
    if (trigrams.length) {
      const match = trigrams.map((t) => `"${t}"`).join(' OR ');
      const rows = this.db.all<HitRow & { rank: number }>(sql`
        SELECT ${cols}, bm25(chunks_trgm) AS rank
        FROM chunks_trgm JOIN chunks c ON c.id = chunks_trgm.rowid JOIN documents d ON d.id = c.document_id
        WHERE chunks_trgm MATCH ${match}
        ORDER BY rank, c.id LIMIT ${limit}`);
      return rows.map(({ rank, ...r }) => ({ ...r, score: -rank }));
    }
    const hits = sql.join(pairs.map((p) => sql`(instr(lower(c.text), ${p}) > 0)`), sql` + `);
    const rows = this.db.all<HitRow & { n: number }>(sql`
      SELECT ${cols}, ${hits} AS n FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE ${hits} > 0 ORDER BY n DESC, c.id LIMIT ${limit}`);
    return rows.map(({ n, ...r }) => ({ ...r, score: n }));
  }

  private wordHits(query: string, limit: number): ChunkHit[] {
    const match = fts5MatchQuery(query);
    if (!match) return [];
    const rows = this.db.all<HitRow & { rank: number }>(sql`
      SELECT c.id AS chunkId, c.document_id AS documentId, c.ordinal AS ordinal, c.text AS text,
             d.title AS title, d.source AS source, d.url AS url, bm25(chunks_fts) AS rank
      FROM chunks_fts
      JOIN chunks c ON c.id = chunks_fts.rowid
      JOIN documents d ON d.id = c.document_id
      WHERE chunks_fts MATCH ${match}
      ORDER BY rank, c.id
      LIMIT ${limit}`);
    return rows.map(({ rank, ...r }) => ({ ...r, score: -rank }));
  }

  get dimensions(): number {
    return this.embedding.dimensions;
  }

  get embeddingVersion(): string {
    return this.embedding.embeddingVersion;
  }

  async useEmbedding(embeddingVersion: string, dimensions: number): Promise<void> {
    this.live();
    this.embedding = checkEmbeddingOptions({ embeddingVersion, dimensions });
    this.matrix = null;
  }

  async searchVector(vector: Float32Array | readonly number[], k: number, embeddingVersion?: string): Promise<ChunkHit[]> {
    this.live();
    checkSameEmbedding(this.embeddingVersion, embeddingVersion);
    const q = checkVector(vector, this.dimensions, 'vector');
    const limit = checkK(k);
    const top = this.vectorMatrix().topK(q, limit);
    if (!top.length) return [];
    const rows = this.db
      .select({ chunkId: chunks.id, documentId: chunks.documentId, ordinal: chunks.ordinal, text: chunks.text, title: documents.title, source: documents.source, url: documents.url })
      .from(chunks)
      .innerJoin(documents, eq(documents.id, chunks.documentId))
      .where(inArray(chunks.id, top.map((t) => t.id)))
      .all();
    const byId = new Map(rows.map((r) => [r.chunkId, r]));
    return top.flatMap((t) => {
      const r = byId.get(t.id);
      return r ? [{ ...r, score: t.score }] : [];
    });
  }

  /** The cached matrix, rebuilt when we wrote or another connection committed since it was built. */
  private vectorMatrix(): VectorMatrix {
    const version = this.sqlite.pragma('data_version', { simple: true }) as number;
    if (this.matrix && version === this.matrixDataVersion) return this.matrix;
    const rows = this.sqlite
      .prepare('SELECT id, embedding FROM chunks WHERE embedding IS NOT NULL AND embedding_version = ? ORDER BY id')
      .iterate(this.embeddingVersion) as IterableIterator<{ id: number; embedding: Buffer }>;
    const dims = this.dimensions;
    this.matrix = VectorMatrix.build(
      dims,
      (function* () {
        for (const r of rows) if (r.embedding.byteLength === dims * 4) yield { id: r.id, vector: decodeFloat32(r.embedding) };
      })(),
    );
    this.matrixDataVersion = version;
    return this.matrix;
  }

  // ---- API keys and usage ---------------------------------------------------------------

  async createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    this.live();
    const row = apiKeyRow(checkNewApiKey(key), new Date());
    return mapConstraintErrors(this.dialect, { conflict: 'an API key with this id or hash already exists' }, () => this.db.insert(apiKeys).values(row).returning().get());
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    this.live();
    return this.db.select().from(apiKeys).where(eq(apiKeys.id, checkId(id, 'id'))).get() ?? null;
  }

  async getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    this.live();
    return this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, checkKeyHash(keyHash))).get() ?? null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    this.live();
    return this.db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id)).all();
  }

  async revokeApiKey(id: string): Promise<boolean> {
    this.live();
    const r = this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, checkId(id, 'id')), isNull(apiKeys.revokedAt)))
      .run();
    return r.changes > 0;
  }

  async incrementUsage(keyId: string, day: string, delta: UsageDelta): Promise<UsageRecord> {
    this.live();
    const id = checkId(keyId, 'keyId');
    const d = checkUsageDelta(delta);
    const values = { keyId: id, day: checkDay(day), ...d };
    return mapConstraintErrors(this.dialect, { missingRef: `no API key ${id}` }, () =>
      this.db.insert(usage).values(values).onConflictDoUpdate({ target: [usage.keyId, usage.day], set: addUsage(usage) }).returning().get(),
    );
  }

  async getUsage(keyId: string, day: string): Promise<UsageRecord> {
    this.live();
    const id = checkId(keyId, 'keyId');
    const dd = checkDay(day);
    const row = this.db
      .select()
      .from(usage)
      .where(and(eq(usage.keyId, id), eq(usage.day, dd)))
      .get();
    return row ?? noUsage(id, dd);
  }

  // ---- conversations ---------------------------------------------------------------------

  async getOrCreateConversation(sessionId: string, userId?: string | null): Promise<ConversationRecord> {
    this.live();
    const { values, set } = conversationUpsert(conversations, sessionId, userId);
    return this.db.insert(conversations).values(values).onConflictDoUpdate({ target: conversations.sessionId, set }).returning().get();
  }

  async appendTurn(conversationId: string, turn: TurnInput): Promise<TurnRecord> {
    this.live();
    const cid = checkId(conversationId, 'conversationId');
    const values = { conversationId: cid, ...turnColumns(checkTurn(turn)), createdAt: new Date() };
    return mapConstraintErrors(this.dialect, { missingRef: `no conversation ${cid}` }, () => this.db.insert(turns).values(values).returning().get() as TurnRecord);
  }

  async appendTurns(conversationId: string, list: TurnInput[]): Promise<TurnRecord[]> {
    this.live();
    const cid = checkId(conversationId, 'conversationId');
    const values = turnRows(cid, list.map(checkTurn));
    if (!values.length) return [];
    // One statement in one (IMMEDIATE) transaction: SQLite's writer lock keeps the rows together.
    return mapConstraintErrors(this.dialect, { missingRef: `no conversation ${cid}` }, () =>
      this.db.transaction((tx) => tx.insert(turns).values(values).returning().all() as TurnRecord[], { behavior: 'immediate' }),
    );
  }

  async getConversationBySession(sessionId: string, opts: { limit?: number } = {}): Promise<{ conversation: ConversationRecord; turns: TurnRecord[] } | null> {
    this.live();
    const conversation = this.db.select().from(conversations).where(eq(conversations.sessionId, checkId(sessionId, 'sessionId'))).get();
    if (!conversation) return null;
    const limit = checkLimit(opts.limit, 10_000);
    const rows = this.db.select().from(turns).where(eq(turns.conversationId, conversation.id)).orderBy(desc(turns.id)).limit(limit).all();
    return { conversation, turns: rows.reverse() as TurnRecord[] };
  }

  // ---- prediction logs -------------------------------------------------------------------

  async appendPredictionLog(entry: PredictionLogInput): Promise<PredictionLogRecord> {
    this.live();
    const e = checkPredictionLog(entry);
    return this.db
      .insert(predictionLogs)
      .values({ ...e, createdAt: new Date() })
      .returning()
      .get();
  }

  async listPredictionLogs(opts: { modelName?: string; limit?: number } = {}): Promise<PredictionLogRecord[]> {
    this.live();
    const limit = checkLimit(opts.limit, 100);
    const where = logsOfModel(predictionLogs, opts.modelName);
    return this.db.select().from(predictionLogs).where(where).orderBy(desc(predictionLogs.id)).limit(limit).all();
  }

  // ---- remembered answers ----------------------------------------------------------------

  async rememberAnswer(entry: FallbackAnswerInput, keep: number): Promise<void> {
    this.live();
    const e = checkFallbackAnswer(entry);
    const n = checkLimit(keep, 20);
    this.db.transaction((tx) => {
      tx.delete(fallbackAnswers).where(sameQuestion(fallbackAnswers, e)).run();
      tx.insert(fallbackAnswers).values({ ...e, createdAt: new Date() }).run();
      const newest = tx.select({ id: fallbackAnswers.id }).from(fallbackAnswers).where(eq(fallbackAnswers.intent, e.intent)).orderBy(desc(fallbackAnswers.id)).limit(n);
      tx.delete(fallbackAnswers).where(answersBeyond(fallbackAnswers, e.intent, newest)).run();
    });
  }

  async recentAnswers(intent: string, limit: number): Promise<FallbackAnswerRecord[]> {
    this.live();
    const rows = this.db.select().from(fallbackAnswers).where(eq(fallbackAnswers.intent, checkId(intent, 'intent'))).orderBy(desc(fallbackAnswers.id)).limit(checkLimit(limit, 20)).all();
    return rows;
  }

  async forgetAnswers(which: { id: number } | { intent: string }): Promise<FallbackAnswerRecord[]> {
    this.live();
    const where = 'id' in which ? eq(fallbackAnswers.id, which.id) : eq(fallbackAnswers.intent, checkId(which.intent, 'intent'));
    return this.db.delete(fallbackAnswers).where(where).returning().all();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.matrix = null;
    this.sqlite.close();
  }
}

type HitRow = Omit<ChunkHit, 'score'>;
