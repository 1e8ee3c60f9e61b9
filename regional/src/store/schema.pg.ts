/**
 * The regional store's tables for PostgreSQL (drizzle-orm/pg-core) with pgvector. Migrations are
 * generated from this file into regional/drizzle/pg/ by `npx drizzle-kit generate --config regional/drizzle.pg.config.ts`;
 * `CREATE EXTENSION vector` is the first, custom, migration there.
 *
 * The vector column has a fixed dimension (an HNSW index needs one). It matches the default
 * embedder; a different embedder dimension means changing PG_EMBEDDING_DIMENSIONS and generating
 * a new migration (openStore refuses a mismatch with DIMENSION_MISMATCH).
 */
import { sql, type SQL } from 'drizzle-orm';
import {
  bigint,
  check,
  customType,
  date,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uniqueIndex,
  vector,
} from 'drizzle-orm/pg-core';

export const PG_EMBEDDING_DIMENSIONS = 100;

const tsvector = customType<{ data: string }>({
  dataType() {
    return 'tsvector';
  },
});

const ts = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

export const documents = pgTable('documents', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  source: text('source'),
  url: text('url'),
  metadata: jsonb('metadata').$type<Record<string, unknown>>(),
  contentHash: text('content_hash').notNull(),
  createdAt: ts('created_at').notNull(),
  updatedAt: ts('updated_at').notNull(),
});

export const chunks = pgTable(
  'chunks',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    documentId: text('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    text: text('text').notNull(),
    tokenCount: integer('token_count').notNull(),
    embedding: vector('embedding', { dimensions: PG_EMBEDDING_DIMENSIONS }),
    embeddingVersion: text('embedding_version'),
    tsv: tsvector('tsv').generatedAlwaysAs((): SQL => sql`to_tsvector('english', ${chunks.text})`),
  },
  (t) => [
    uniqueIndex('chunks_document_ordinal_idx').on(t.documentId, t.ordinal),
    index('chunks_embedding_version_idx').on(t.embeddingVersion),
    index('chunks_tsv_idx').using('gin', t.tsv),
    index('chunks_embedding_hnsw_idx').using('hnsw', t.embedding.op('vector_cosine_ops')),
  ],
);

export const apiKeys = pgTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    role: text('role', { enum: ['partner', 'edge', 'admin'] }).notNull(),
    rateLimitPerMinute: integer('rate_limit_per_minute').notNull(),
    dailyTokenQuota: bigint('daily_token_quota', { mode: 'number' }),
    createdAt: ts('created_at').notNull(),
    revokedAt: ts('revoked_at'),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash), check('api_keys_role_check', sql`${t.role} in ('partner', 'edge', 'admin')`)],
);

export const usage = pgTable(
  'usage',
  {
    keyId: text('key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    day: date('day', { mode: 'string' }).notNull(),
    requests: bigint('requests', { mode: 'number' }).notNull().default(0),
    tokensIn: bigint('tokens_in', { mode: 'number' }).notNull().default(0),
    tokensOut: bigint('tokens_out', { mode: 'number' }).notNull().default(0),
    costUsd: doublePrecision('cost_usd').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.day] })],
);

export const conversations = pgTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    userId: text('user_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('conversations_session_idx').on(t.sessionId)],
);

export const turns = pgTable(
  'turns',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant', 'system'] }).notNull(),
    text: text('text').notNull(),
    intent: text('intent'),
    confidence: doublePrecision('confidence'),
    routePath: text('route_path'),
    modelVersions: jsonb('model_versions').$type<Record<string, string>>(),
    latencyMs: jsonb('latency_ms').$type<Record<string, number>>(),
    tokensIn: integer('tokens_in'),
    tokensOut: integer('tokens_out'),
    costUsd: doublePrecision('cost_usd'),
    fallbacks: jsonb('fallbacks').$type<string[]>(),
    traceId: text('trace_id'),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('turns_conversation_idx').on(t.conversationId, t.id), check('turns_role_check', sql`${t.role} in ('user', 'assistant', 'system')`)],
);

export const predictionLogs = pgTable(
  'prediction_logs',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    inputHash: text('input_hash').notNull(),
    output: jsonb('output').$type<unknown>(),
    latencyMs: doublePrecision('latency_ms').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('prediction_logs_model_idx').on(t.modelName, t.id)],
);
