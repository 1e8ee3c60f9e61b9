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

/** The last clean LLM answers per intent, served (marked) when the LLM times out (generate/fallback-answers.ts). */
export const fallbackAnswers = sqliteTable(
  'fallback_answers',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    intent: text('intent').notNull(),
    question: text('question').notNull(),
    text: text('text').notNull(),
    sources: text('sources', { mode: 'json' }).$type<string[]>().notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('fallback_answers_intent_idx').on(t.intent, t.id)],
);

// ---- model registry ---------------------------------------------------------------------

export const modelVersions = sqliteTable(
  'model_versions',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The domain pack the row belongs to (domain.json `name`): every lookup, stage move and rollout is within one domain. */
    domain: text('domain').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    kind: text('kind', { enum: ['intent-classifier', 'sentence-embedder', 'cross-encoder', 'llm-config', 'routing-config'] }).notNull(),
    artifactUri: text('artifact_uri').notNull(),
    files: text('files', { mode: 'json' }).$type<Record<string, string>>().notNull(),
    trainingDataSha256: text('training_data_sha256'),
    metrics: text('metrics', { mode: 'json' }).$type<Record<string, unknown>>(),
    settings: text('settings', { mode: 'json' }).$type<Record<string, unknown>>(),
    sizeBytes: integer('size_bytes').notNull(),
    stage: text('stage', { enum: ['dev', 'staging', 'production', 'archived'] }).notNull(),
    promotedBy: text('promoted_by'),
    promotedAt: integer('promoted_at', { mode: 'timestamp_ms' }),
    reason: text('reason'),
    gitCommit: text('git_commit'),
    parentVersion: text('parent_version'),
    baseline: text('baseline', { mode: 'json' }).$type<Record<string, unknown>>(),
    registeredBy: text('registered_by').notNull(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [
    uniqueIndex('model_versions_domain_name_version_idx').on(t.domain, t.name, t.version),
    // At most one production version per model name and domain.
    uniqueIndex('model_versions_domain_one_production_idx').on(t.domain, t.name).where(sql`stage = 'production'`),
    check('model_versions_stage_check', sql`${t.stage} in ('dev', 'staging', 'production', 'archived')`),
  ],
);

export const modelStageChanges = sqliteTable(
  'model_stage_changes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The domain pack the row belongs to (domain.json `name`): every lookup, stage move and rollout is within one domain. */
    domain: text('domain').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    fromStage: text('from_stage', { enum: ['dev', 'staging', 'production', 'archived'] }),
    toStage: text('to_stage', { enum: ['dev', 'staging', 'production', 'archived'] }).notNull(),
    action: text('action', { enum: ['register', 'promote', 'demote', 'rollback'] }).notNull(),
    actor: text('actor').notNull(),
    reason: text('reason'),
    /** Machine-readable why (e.g. a canary rollback's guardrail breaches and the stats behind them). */
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [index('model_stage_changes_domain_name_idx').on(t.domain, t.name, t.id)],
);

/**
 * Rollout rules per model (canary, A/B split, shadow), append-only: every change is a new
 * revision and the highest revision is the rule in force (a null rule: none). The revision
 * doubles as the compare-and-set token of a change.
 */
export const modelRollouts = sqliteTable(
  'model_rollouts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    /** The domain pack the row belongs to (domain.json `name`): every lookup, stage move and rollout is within one domain. */
    domain: text('domain').notNull(),
    name: text('name').notNull(),
    revision: integer('revision').notNull(),
    rule: text('rule', { mode: 'json' }).$type<Record<string, unknown>>(),
    actor: text('actor').notNull(),
    reason: text('reason'),
    details: text('details', { mode: 'json' }).$type<Record<string, unknown>>(),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [uniqueIndex('model_rollouts_domain_name_revision_idx').on(t.domain, t.name, t.revision)],
);

// ---- batch inference jobs ---------------------------------------------------------------

export const batchJobs = sqliteTable(
  'batch_jobs',
  {
    id: text('id').primaryKey(),
    task: text('task', { enum: ['classify', 'embed', 'rerank'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed', 'canceled'] }).notNull(),
    modelVersion: text('model_version').notNull(),
    inputPath: text('input_path').notNull(),
    inputSha256: text('input_sha256').notNull(),
    inputBytes: integer('input_bytes').notNull(),
    outputPath: text('output_path').notNull(),
    totalRows: integer('total_rows').notNull(),
    rowsDone: integer('rows_done').notNull().default(0),
    inputOffset: integer('input_offset').notNull().default(0),
    outputBytes: integer('output_bytes').notNull().default(0),
    rowErrors: integer('row_errors').notNull().default(0),
    errorCode: text('error_code'),
    error: text('error'),
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until', { mode: 'timestamp_ms' }),
    runStartedAt: integer('run_started_at', { mode: 'timestamp_ms' }),
    rowsAtRunStart: integer('rows_at_run_start').notNull().default(0),
    createdBy: text('created_by'),
    createdAt: integer('created_at', { mode: 'timestamp_ms' }).notNull(),
    updatedAt: integer('updated_at', { mode: 'timestamp_ms' }).notNull(),
    finishedAt: integer('finished_at', { mode: 'timestamp_ms' }),
  },
  (t) => [
    index('batch_jobs_status_idx').on(t.status, t.createdAt),
    check('batch_jobs_status_check', sql`${t.status} in ('queued', 'running', 'succeeded', 'failed', 'canceled')`),
    check('batch_jobs_task_check', sql`${t.task} in ('classify', 'embed', 'rerank')`),
  ],
);

// ---- ops dashboard samples --------------------------------------------------------------

/** One metrics sample per instance and time (ops/timeseries-sampler.ts); `data` is an OpsSample. */
export const opsSamples = sqliteTable(
  'ops_samples',
  {
    instance: text('instance').notNull(),
    at: integer('at', { mode: 'timestamp_ms' }).notNull(),
    data: text('data', { mode: 'json' }).$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.instance, t.at] }), index('ops_samples_at_idx').on(t.at)],
);

// ---- order ownership proofs (docs/orders.md) ----------------------------------------------

/**
 * Per session and order (ORDER_VERIFY=email): when the session last gave the order's email
 * (`provenAt`), and how many emails it gave for it since its last proof (`attempts`, the last at
 * `attemptedAt`). No email, no record: ids and times only. `lastAt` is the newer of the two, for pruning.
 */
export const orderChecks = sqliteTable(
  'order_checks',
  {
    sessionId: text('session_id').notNull(),
    orderId: text('order_id').notNull(),
    provenAt: integer('proven_at', { mode: 'timestamp_ms' }),
    attempts: integer('attempts').notNull().default(0),
    attemptedAt: integer('attempted_at', { mode: 'timestamp_ms' }),
    lastAt: integer('last_at', { mode: 'timestamp_ms' }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.orderId] }), index('order_checks_last_at_idx').on(t.lastAt)],
);
