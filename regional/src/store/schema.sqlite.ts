/**
 * The regional store's tables for SQLite (drizzle-orm/sqlite-core). Migrations are generated from
 * this file into regional/drizzle/sqlite/ by `npx drizzle-kit generate --config regional/drizzle.sqlite.config.ts`;
 * the FTS5 index and its sync triggers live in a custom migration there (drizzle-kit has no FTS5).
 * Timestamps are epoch milliseconds; embeddings are little-endian float32 BLOBs.
 */
import { sql } from 'drizzle-orm';
import { blob, check, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

export const documents = sqliteTable('documents', {
  id: text('id').primaryKey(),
  title: text('title').notNull(),
  source: text('source'),
  url: text('url'),
  metadata: text('metadata', { mode: 'json' }).$type<Record<string, unknown>>(),
  contentHash: text('content_hash').notNull(),
  createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
});

export const chunks = sqliteTable(
  'chunks',
  {
    // An explicit INTEGER PRIMARY KEY: the FTS5 external-content table keys on it, and unlike an
    // implicit rowid it is never renumbered by VACUUM. AUTOINCREMENT: ids are never reused.
    id: integer('id').primaryKey({ autoIncrement: true }),
    documentId: text('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    text: text('text').notNull(),
    tokenCount: integer('token_count').notNull(),
    embedding: blob('embedding', { mode: 'buffer' }),
    embeddingVersion: text('embedding_version'),
  },
  (t) => [uniqueIndex('chunks_document_ordinal_idx').on(t.documentId, t.ordinal), index('chunks_embedding_version_idx').on(t.embeddingVersion)],
);

export const apiKeys = sqliteTable(
  'api_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    keyHash: text('key_hash').notNull(),
    prefix: text('prefix').notNull(),
    role: text('role', { enum: ['partner', 'edge', 'admin'] }).notNull(),
    rateLimitPerMinute: integer('rate_limit_per_minute').notNull(),
    dailyTokenQuota: integer('daily_token_quota'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    revokedAt: integer('revoked_at', { mode: 'timestamp_ms' }),
  },
  (t) => [uniqueIndex('api_keys_key_hash_idx').on(t.keyHash), check('api_keys_role_check', sql`${t.role} in ('partner', 'edge', 'admin')`)],
);

export const usage = sqliteTable(
  'usage',
  {
    keyId: text('key_id')
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    /** UTC day, YYYY-MM-DD */
    day: text('day').notNull(),
    requests: integer('requests').notNull().default(0),
    tokensIn: integer('tokens_in').notNull().default(0),
    tokensOut: integer('tokens_out').notNull().default(0),
    costUsd: real('cost_usd').notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.keyId, t.day] })],
);

export const conversations = sqliteTable(
  'conversations',
  {
    id: text('id').primaryKey(),
    sessionId: text('session_id').notNull(),
    userId: text('user_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('conversations_session_idx').on(t.sessionId)],
);

export const turns = sqliteTable(
  'turns',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    conversationId: text('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['user', 'assistant', 'system'] }).notNull(),
    text: text('text').notNull(),
    intent: text('intent'),
    confidence: real('confidence'),
    routePath: text('route_path'),
    modelVersions: text('model_versions', { mode: 'json' }).$type<Record<string, string>>(),
    latencyMs: text('latency_ms', { mode: 'json' }).$type<Record<string, number>>(),
    tokensIn: integer('tokens_in'),
    tokensOut: integer('tokens_out'),
    costUsd: real('cost_usd'),
    fallbacks: text('fallbacks', { mode: 'json' }).$type<string[]>(),
    traceId: text('trace_id'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('turns_conversation_idx').on(t.conversationId, t.id), check('turns_role_check', sql`${t.role} in ('user', 'assistant', 'system')`)],
);

export const predictionLogs = sqliteTable(
  'prediction_logs',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    modelName: text('model_name').notNull(),
    modelVersion: text('model_version').notNull(),
    inputHash: text('input_hash').notNull(),
    output: text('output', { mode: 'json' }).$type<unknown>(),
    latencyMs: real('latency_ms').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('prediction_logs_model_idx').on(t.modelName, t.id)],
);
