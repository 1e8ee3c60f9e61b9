/**
 * The PostgreSQL Store (node-postgres pool through drizzle-orm) with pgvector: cosine distance
 * `<=>` over an HNSW index for vector search, and a generated `tsvector` column with a GIN index
 * ranked by ts_rank_cd for text search. Migrations run under an advisory lock, so several
 * instances can start at once. Every query has a statement timeout.
 */
import { and, asc, count, desc, eq, isNull, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { mergeHits, ngramTerms, queryTerms } from './fts-query.ts';
import { PgOpsSamples } from './ops-samples-pg.ts';
import { PgOrderChecks } from './order-checks-pg.ts';
import { PgBatchJobs } from './batch-jobs-pg.ts';
import { PgRegistry } from './registry-pg.ts';
import { ensureVectorIndex, vectorPredicate } from './pg-vector-index.ts';
import * as schema from './schema.pg.ts';
import { mapConstraintErrors } from './constraint-errors.ts';
import { addUsage, apiKeyRow, chunkRowBatches, conversationUpsert, documentColumns, answersBeyond, embeddedWith, sameQuestion, logsOfModel, noUsage, staleAfter, toDocument, turnColumns, turnRows } from './rows.ts';
import type { ApiKeyRecord, ChunkHit, ChunkInput, ChunkRecord, ConversationRecord, DocumentInput, DocumentRecord, DocumentSummary, EmbeddingOptions, FallbackAnswerInput, FallbackAnswerRecord, NewApiKey, PredictionLogInput, PredictionLogRecord, StaleChunk, Store, StoreOptions, TurnInput, TurnRecord, UsageDelta, UsageRecord } from './types.ts';
import { StoreError } from './types.ts';
import { checkChunkEmbeddings, checkDay, checkDocument, checkFallbackAnswer, checkId, checkK, checkKeyHash, checkLimit, checkNewApiKey, checkPredictionLog, checkQuery, checkStaleQuery, checkSameEmbedding, checkEmbeddingOptions, checkStoreOptions, checkTurn, checkUsageDelta, checkVector } from './validate.ts';

const { documents, chunks, apiKeys, usage, conversations, turns, predictionLogs, fallbackAnswers } = schema;

export const PG_MIGRATIONS = fileURLToPath(new URL('../../drizzle/pg', import.meta.url));

/** pg_advisory_lock key that serializes migrations between instances ("swyd" in ASCII). */
const MIGRATION_LOCK = 0x73777964;

export interface PgStoreTimeouts {
  /** Connecting to the server (ms). */
  connectMs?: number;
  /** Server-side statement_timeout for every statement (ms). */
  statementMs?: number;
}

export class PgStore implements Store {
  readonly dialect = 'postgres' as const;
  private embedding: EmbeddingOptions;
  private readonly db: NodePgDatabase<typeof schema>;
  private closed = false;
  readonly registry: PgRegistry;
  readonly batchJobs: PgBatchJobs;
  readonly opsSamples: PgOpsSamples;
  readonly orderChecks: PgOrderChecks;

  private constructor(
    private readonly pool: pg.Pool,
    opts: StoreOptions,
  ) {
    this.embedding = { dimensions: opts.dimensions, embeddingVersion: opts.embeddingVersion };
    this.db = drizzle({ client: pool, schema });
    this.registry = new PgRegistry(this.db, () => this.live(), opts.domain);
    this.batchJobs = new PgBatchJobs(this.db, () => this.live());
    this.opsSamples = new PgOpsSamples(this.db, () => this.live());
    this.orderChecks = new PgOrderChecks(this.db, () => this.live());
  }

  static async open(url: string, options: StoreOptions, timeouts: PgStoreTimeouts = {}): Promise<PgStore> {
    const opts = checkStoreOptions(options);
    const pool = new pg.Pool({
      connectionString: url,
      max: 10,
      connectionTimeoutMillis: timeouts.connectMs ?? 5000,
      idleTimeoutMillis: 30_000,
      statement_timeout: timeouts.statementMs ?? 15_000,
      query_timeout: (timeouts.statementMs ?? 15_000) + 5000,
      application_name: 'switchyard-regional',
    });
    // An idle client that errors (server restart) must not crash the process; the pool replaces it.
    pool.on('error', () => {});
    try {
      // The vector column takes any width; this embedder gets its own HNSW index (pg-vector-index.ts).
      await migrateWithLock(pool, (client) => ensureVectorIndex(client, opts.embeddingVersion, opts.dimensions));
      return new PgStore(pool, opts);
    } catch (e) {
      await pool.end().catch(() => {});
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
    const document = await this.db.transaction(async (tx) => {
      const [row] = await tx.insert(documents).values(values).onConflictDoUpdate({ target: documents.id, set }).returning();
      await tx.delete(chunks).where(eq(chunks.documentId, d.id));
      for (const batch of chunkRowBatches(d.id, cs, (v) => Array.from(v))) await tx.insert(chunks).values(batch);
      return row;
    });
    return { document: toDocument(document), chunks: cs.length };
  }

  async deleteDocument(id: string): Promise<boolean> {
    this.live();
    const r = await this.db.delete(documents).where(eq(documents.id, checkId(id, 'id')));
    return (r.rowCount ?? 0) > 0;
  }

  async getDocument(id: string): Promise<(DocumentRecord & { chunks: ChunkRecord[] }) | null> {
    this.live();
    const [doc] = await this.db.select().from(documents).where(eq(documents.id, checkId(id, 'id')));
    if (!doc) return null;
    const rows = await this.db
      .select({ id: chunks.id, documentId: chunks.documentId, ordinal: chunks.ordinal, text: chunks.text, tokenCount: chunks.tokenCount, embeddingVersion: chunks.embeddingVersion })
      .from(chunks)
      .where(eq(chunks.documentId, doc.id))
      .orderBy(asc(chunks.ordinal));
    return { ...toDocument(doc), chunks: rows };
  }

  async listDocuments(source?: string): Promise<DocumentSummary[]> {
    this.live();
    const q = this.db.select({ id: documents.id, source: documents.source, contentHash: documents.contentHash }).from(documents);
    return (source === undefined ? q : q.where(eq(documents.source, source))).orderBy(asc(documents.id));
  }

  async stats(): Promise<{ documents: number; chunks: number; embeddedChunks: number }> {
    this.live();
    const [[d], [c], [e]] = await Promise.all([
      this.db.select({ n: count() }).from(documents),
      this.db.select({ n: count() }).from(chunks),
      this.db.select({ n: count() }).from(chunks).where(embeddedWith(chunks, this.embeddingVersion)),
    ]);
    return { documents: d.n, chunks: c.n, embeddedChunks: e.n };
  }

  async staleChunks(limit: number, afterId?: number): Promise<StaleChunk[]> {
    this.live();
    const q = checkStaleQuery(limit, afterId);
    return this.db.select({ id: chunks.id, text: chunks.text }).from(chunks).where(staleAfter(chunks, this.embeddingVersion, q.afterId)).orderBy(asc(chunks.id)).limit(q.limit);
  }

  async setChunkEmbeddings(rows: { id: number; embedding: Float32Array | readonly number[] }[], embeddingVersion?: string): Promise<number> {
    this.live();
    const { embeddingVersion: version, dimensions } = this.embedding;
    checkSameEmbedding(version, embeddingVersion);
    const checked = checkChunkEmbeddings(rows, dimensions);
    return this.db.transaction(async (tx) => {
      let changed = 0;
      for (const r of checked) {
        const u = await tx.update(chunks).set({ embedding: Array.from(r.embedding), embeddingVersion: version }).where(eq(chunks.id, r.id));
        changed += u.rowCount ?? 0;
      }
      return changed;
    });
  }

  /**
   * plainto_tsquery parses the (already letters-and-digits-only) terms without any operator
   * syntax and drops English stopwords; its `&`s become `|` so that a chunk needs only some of the
   * words, and ts_rank_cd orders by how many and how close together.
   */
  async searchText(query: string, k: number): Promise<ChunkHit[]> {
    this.live();
    const words = await this.wordHits(checkQuery(query), checkK(k));
    const { trigrams, pairs } = ngramTerms(query);
    if (!trigrams.length && !pairs.length) return words;
    return mergeHits(await this.substringHits([...trigrams, ...pairs], k), words, k);
  }

  /**
   * Runs of unsegmented scripts (Japanese, Chinese, Thai…): chunks holding the most of the query's
   * trigrams and two-character runs. The regular expression (terms are letters and digits only,
   * never regex syntax) lets the pg_trgm GIN index narrow the candidates.
   */
  private async substringHits(terms: string[], limit: number): Promise<ChunkHit[]> {
    const list = sql`ARRAY[${sql.join(terms.map((t) => sql`${t}`), sql`, `)}]::text[]`;
    const r = await this.db.execute<HitRow>(sql`
      SELECT c.id AS "chunkId", c.document_id AS "documentId", c.ordinal, c.text, d.title, d.source, d.url,
             (SELECT count(*) FROM unnest(${list}) t WHERE strpos(lower(c.text), t) > 0) AS score
      FROM chunks c JOIN documents d ON d.id = c.document_id
      WHERE c.text ~* ${terms.join("|")}
      ORDER BY score DESC, c.id
      LIMIT ${limit}`);
    return r.rows.map(toHit);
  }

  private async wordHits(query: string, limit: number): Promise<ChunkHit[]> {
    const terms = queryTerms(query);
    if (!terms.length) return [];
    const r = await this.db.execute<HitRow>(sql`
      SELECT c.id AS "chunkId", c.document_id AS "documentId", c.ordinal, c.text, d.title, d.source, d.url,
             ts_rank_cd(c.tsv, q.q) AS score
      FROM (SELECT replace(plainto_tsquery('english', ${terms.join(' ')})::text, ' & ', ' | ')::tsquery AS q) q
      JOIN chunks c ON c.tsv @@ q.q
      JOIN documents d ON d.id = c.document_id
      ORDER BY score DESC, c.id
      LIMIT ${limit}`);
    return r.rows.map(toHit);
  }

  get dimensions(): number {
    return this.embedding.dimensions;
  }

  get embeddingVersion(): string {
    return this.embedding.embeddingVersion;
  }

  async useEmbedding(embeddingVersion: string, dimensions: number): Promise<void> {
    this.live();
    const next = checkEmbeddingOptions({ embeddingVersion, dimensions });
    await withMigrationLock(this.pool, (client) => ensureVectorIndex(client, next.embeddingVersion, next.dimensions));
    this.embedding = next;
  }

  async searchVector(vector: Float32Array | readonly number[], k: number, embeddingVersion?: string): Promise<ChunkHit[]> {
    this.live();
    // One embedder's version and width for the whole query, even if the store switches meanwhile.
    const { embeddingVersion: version, dimensions } = this.embedding;
    checkSameEmbedding(version, embeddingVersion);
    const q = checkVector(vector, dimensions, 'vector');
    const limit = checkK(k);
    const literal = `[${Array.from(q).join(',')}]`;
    // This embedder's partial index: the same expression and predicate (pg-vector-index.ts).
    const typed = sql.raw(`vector(${dimensions})`);
    const mine = sql.raw(vectorPredicate(version, dimensions, 'c.'));
    return this.db.transaction(async (tx) => {
      // HNSW returns at most ef_search rows: make it at least k (pgvector's maximum is 1000).
      await tx.execute(sql`SELECT set_config('hnsw.ef_search', ${String(Math.max(40, limit))}, true)`);
      const r = await tx.execute<HitRow>(sql`
        SELECT c.id AS "chunkId", c.document_id AS "documentId", c.ordinal, c.text, d.title, d.source, d.url,
               1 - (c.embedding::${typed} <=> ${literal}::${typed}) AS score
        FROM chunks c
        JOIN documents d ON d.id = c.document_id
        WHERE ${mine}
        ORDER BY c.embedding::${typed} <=> ${literal}::${typed}
        LIMIT ${limit}`); // no tie-break column: the ORDER BY must be the bare distance for the HNSW index to apply
      return r.rows.map(toHit);
    });
  }

  // ---- API keys and usage ---------------------------------------------------------------

  async createApiKey(key: NewApiKey): Promise<ApiKeyRecord> {
    this.live();
    const row = apiKeyRow(checkNewApiKey(key), new Date());
    const [created] = await mapConstraintErrors(this.dialect, { conflict: 'an API key with this id or hash already exists' }, () => this.db.insert(apiKeys).values(row).returning());
    return created;
  }

  async getApiKey(id: string): Promise<ApiKeyRecord | null> {
    this.live();
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.id, checkId(id, 'id')));
    return row ?? null;
  }

  async getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null> {
    this.live();
    const [row] = await this.db.select().from(apiKeys).where(eq(apiKeys.keyHash, checkKeyHash(keyHash)));
    return row ?? null;
  }

  async listApiKeys(): Promise<ApiKeyRecord[]> {
    this.live();
    return this.db.select().from(apiKeys).orderBy(asc(apiKeys.createdAt), asc(apiKeys.id));
  }

  async revokeApiKey(id: string): Promise<boolean> {
    this.live();
    const r = await this.db
      .update(apiKeys)
      .set({ revokedAt: new Date() })
      .where(and(eq(apiKeys.id, checkId(id, 'id')), isNull(apiKeys.revokedAt)));
    return (r.rowCount ?? 0) > 0;
  }

  async incrementUsage(keyId: string, day: string, delta: UsageDelta): Promise<UsageRecord> {
    this.live();
    const id = checkId(keyId, 'keyId');
    const d = checkUsageDelta(delta);
    const values = { keyId: id, day: checkDay(day), ...d };
    const [row] = await mapConstraintErrors(this.dialect, { missingRef: `no API key ${id}` }, () =>
      this.db.insert(usage).values(values).onConflictDoUpdate({ target: [usage.keyId, usage.day], set: addUsage(usage) }).returning(),
    );
    return row;
  }

  async getUsage(keyId: string, day: string): Promise<UsageRecord> {
    this.live();
    const id = checkId(keyId, 'keyId');
    const dd = checkDay(day);
    const [row] = await this.db
      .select()
      .from(usage)
      .where(and(eq(usage.keyId, id), eq(usage.day, dd)));
    return row ?? noUsage(id, dd);
  }

  // ---- conversations ---------------------------------------------------------------------

  async getOrCreateConversation(sessionId: string, userId?: string | null): Promise<ConversationRecord> {
    this.live();
    const { values, set } = conversationUpsert(conversations, sessionId, userId);
    const [row] = await this.db.insert(conversations).values(values).onConflictDoUpdate({ target: conversations.sessionId, set }).returning();
    return row;
  }

  async appendTurn(conversationId: string, turn: TurnInput): Promise<TurnRecord> {
    this.live();
    const cid = checkId(conversationId, 'conversationId');
    const values = { conversationId: cid, ...turnColumns(checkTurn(turn)), createdAt: new Date() };
    const [row] = await mapConstraintErrors(this.dialect, { missingRef: `no conversation ${cid}` }, () => this.db.insert(turns).values(values).returning());
    return row as TurnRecord;
  }

  async appendTurns(conversationId: string, list: TurnInput[]): Promise<TurnRecord[]> {
    this.live();
    const cid = checkId(conversationId, 'conversationId');
    const values = turnRows(cid, list.map(checkTurn));
    if (!values.length) return [];
    // The conversation's row lock serializes appends to it, so the ids of one call are consecutive
    // in that conversation (a sequence alone could interleave two concurrent inserts).
    const rows = await mapConstraintErrors(this.dialect, { missingRef: `no conversation ${cid}` }, () =>
      this.db.transaction(async (tx) => {
        const [owner] = await tx.select({ id: conversations.id }).from(conversations).where(eq(conversations.id, cid)).for('update');
        if (!owner) throw new StoreError('NOT_FOUND', `no conversation ${cid}`);
        return tx.insert(turns).values(values).returning();
      }),
    );
    return rows as TurnRecord[];
  }

  async getConversationBySession(sessionId: string, opts: { limit?: number } = {}): Promise<{ conversation: ConversationRecord; turns: TurnRecord[] } | null> {
    this.live();
    const [conversation] = await this.db.select().from(conversations).where(eq(conversations.sessionId, checkId(sessionId, 'sessionId')));
    if (!conversation) return null;
    const limit = checkLimit(opts.limit, 10_000);
    const rows = await this.db.select().from(turns).where(eq(turns.conversationId, conversation.id)).orderBy(desc(turns.id)).limit(limit);
    return { conversation, turns: rows.reverse() as TurnRecord[] };
  }

  // ---- prediction logs -------------------------------------------------------------------

  async appendPredictionLog(entry: PredictionLogInput): Promise<PredictionLogRecord> {
    this.live();
    const e = checkPredictionLog(entry);
    const [row] = await this.db
      .insert(predictionLogs)
      .values({ ...e, createdAt: new Date() })
      .returning();
    return row;
  }

  async listPredictionLogs(opts: { modelName?: string; limit?: number } = {}): Promise<PredictionLogRecord[]> {
    this.live();
    const limit = checkLimit(opts.limit, 100);
    const where = logsOfModel(predictionLogs, opts.modelName);
    return this.db.select().from(predictionLogs).where(where).orderBy(desc(predictionLogs.id)).limit(limit);
  }

  // ---- remembered answers ----------------------------------------------------------------

  async rememberAnswer(entry: FallbackAnswerInput, keep: number): Promise<void> {
    this.live();
    const e = checkFallbackAnswer(entry);
    const n = checkLimit(keep, 20);
    await this.db.transaction(async (tx) => {
      await tx.delete(fallbackAnswers).where(sameQuestion(fallbackAnswers, e));
      await tx.insert(fallbackAnswers).values({ ...e, createdAt: new Date() });
      const newest = tx.select({ id: fallbackAnswers.id }).from(fallbackAnswers).where(eq(fallbackAnswers.intent, e.intent)).orderBy(desc(fallbackAnswers.id)).limit(n);
      await tx.delete(fallbackAnswers).where(answersBeyond(fallbackAnswers, e.intent, newest));
    });
  }

  async recentAnswers(intent: string, limit: number): Promise<FallbackAnswerRecord[]> {
    this.live();
    return this.db.select().from(fallbackAnswers).where(eq(fallbackAnswers.intent, checkId(intent, 'intent'))).orderBy(desc(fallbackAnswers.id)).limit(checkLimit(limit, 20));
  }

  async forgetAnswers(which: { id: number } | { intent: string }): Promise<FallbackAnswerRecord[]> {
    this.live();
    const where = 'id' in which ? eq(fallbackAnswers.id, which.id) : eq(fallbackAnswers.intent, checkId(which.intent, 'intent'));
    return this.db.delete(fallbackAnswers).where(where).returning();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}

/** Applies pending migrations, then runs `after`, while holding a session advisory lock on one connection. */
async function migrateWithLock(pool: pg.Pool, after: (client: pg.PoolClient) => Promise<unknown>): Promise<void> {
  const client = await pool.connect();
  try {
    const ext = await client.query(`SELECT 1 FROM pg_available_extensions WHERE name = 'vector'`);
    if (!ext.rowCount) {
      throw new StoreError('PGVECTOR_UNAVAILABLE', 'the PostgreSQL server has no pgvector extension: as root run `bash regional/src/store/install-pgvector.sh` (apt\'s postgresql-<major>-pgvector where the distribution has it, else a build from Debian\'s pgvector source), or `npm test` as root, which runs it');
    }
  } finally {
    client.release();
  }
  await withMigrationLock(pool, async (client) => {
    await migrate(drizzle({ client }), { migrationsFolder: PG_MIGRATIONS });
    await after(client);
  });
}

/** Runs `fn` under the migration lock (schema changes of several instances one at a time). */
async function withMigrationLock(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<unknown>): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await fn(client);
    } finally {
      await client.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => {});
    }
  } finally {
    client.release();
  }
}

/** A hit as node-postgres returns it (a bigint id or a numeric score may come back as a string). */
interface HitRow extends Record<string, unknown>, Omit<ChunkHit, 'chunkId' | 'score'> {
  chunkId: string | number;
  score: number | string;
}

function toHit(r: HitRow): ChunkHit {
  return {
    chunkId: Number(r.chunkId),
    documentId: r.documentId,
    ordinal: Number(r.ordinal),
    text: r.text,
    title: r.title,
    source: r.source,
    url: r.url,
    score: Number(r.score),
  };
}
