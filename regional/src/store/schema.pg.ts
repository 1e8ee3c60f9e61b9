/**
 * The regional store's tables for PostgreSQL (drizzle-orm/pg-core) with pgvector. Migrations are
 * generated from this file into regional/drizzle/pg/ by `npx drizzle-kit generate --config regional/drizzle.pg.config.ts`;
 * `CREATE EXTENSION vector` is the first, custom, migration there.
 *
 * `chunks.embedding` is a `vector` of any dimension, so the store follows whatever embedder the
 * service runs. An HNSW index needs one fixed dimension, so there is one partial index per
 * (embedding version, dimension), over `embedding::vector(N)` for that version's rows only:
 * PgStore creates it when it opens for a new embedder (pg-vector-index.ts); it is not in this
 * schema because its dimension and version are known only at run time.
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
} from 'drizzle-orm/pg-core';

/** The default embedder's width (models/default/embedder); the column takes any width. */
export const PG_EMBEDDING_DIMENSIONS = 100;

/** pgvector's `vector` with no fixed dimension; values go in and come out as `[x,y,…]` text. */
const anyVector = customType<{ data: number[]; driverData: string }>({
  dataType() {
    return 'vector';
  },
  toDriver(v) {
    return `[${v.join(',')}]`;
  },
  fromDriver(v) {
    return JSON.parse(v) as number[];
  },
});

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
    embedding: anyVector('embedding'),
    embeddingVersion: text('embedding_version'),
    tsv: tsvector('tsv').generatedAlwaysAs((): SQL => sql`to_tsvector('english', ${chunks.text})`),
  },
  (t) => [
    uniqueIndex('chunks_document_ordinal_idx').on(t.documentId, t.ordinal),
    index('chunks_embedding_version_idx').on(t.embeddingVersion),
    index('chunks_tsv_idx').using('gin', t.tsv),
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

/** The last clean LLM answers per intent, served (marked) when the LLM times out (generate/fallback-answers.ts). */
export const fallbackAnswers = pgTable(
  'fallback_answers',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    intent: text('intent').notNull(),
    question: text('question').notNull(),
    text: text('text').notNull(),
    sources: jsonb('sources').$type<string[]>().notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('fallback_answers_intent_idx').on(t.intent, t.id)],
);

// ---- model registry ---------------------------------------------------------------------

export const modelVersions = pgTable(
  'model_versions',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The domain pack the row belongs to (domain.json `name`): every lookup, stage move and rollout is within one domain. */
    domain: text('domain').notNull(),
    name: text('name').notNull(),
    version: text('version').notNull(),
    kind: text('kind', { enum: ['intent-classifier', 'sentence-embedder', 'cross-encoder', 'llm-config', 'routing-config'] }).notNull(),
    artifactUri: text('artifact_uri').notNull(),
    files: jsonb('files').$type<Record<string, string>>().notNull(),
    trainingDataSha256: text('training_data_sha256'),
    metrics: jsonb('metrics').$type<Record<string, unknown>>(),
    settings: jsonb('settings').$type<Record<string, unknown>>(),
    sizeBytes: bigint('size_bytes', { mode: 'number' }).notNull(),
    stage: text('stage', { enum: ['dev', 'staging', 'production', 'archived'] }).notNull(),
    promotedBy: text('promoted_by'),
    promotedAt: ts('promoted_at'),
    reason: text('reason'),
    gitCommit: text('git_commit'),
    parentVersion: text('parent_version'),
    baseline: jsonb('baseline').$type<Record<string, unknown>>(),
    registeredBy: text('registered_by').notNull(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('model_versions_domain_name_version_idx').on(t.domain, t.name, t.version),
    // At most one production version per model name and domain.
    uniqueIndex('model_versions_domain_one_production_idx').on(t.domain, t.name).where(sql`stage = 'production'`),
    check('model_versions_stage_check', sql`${t.stage} in ('dev', 'staging', 'production', 'archived')`),
  ],
);

export const modelStageChanges = pgTable(
  'model_stage_changes',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
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
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [index('model_stage_changes_domain_name_idx').on(t.domain, t.name, t.id)],
);

/**
 * Rollout rules per model (canary, A/B split, shadow), append-only: every change is a new
 * revision and the highest revision is the rule in force (a null rule: none). The revision
 * doubles as the compare-and-set token of a change.
 */
export const modelRollouts = pgTable(
  'model_rollouts',
  {
    id: bigint('id', { mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    /** The domain pack the row belongs to (domain.json `name`): every lookup, stage move and rollout is within one domain. */
    domain: text('domain').notNull(),
    name: text('name').notNull(),
    revision: integer('revision').notNull(),
    rule: jsonb('rule').$type<Record<string, unknown>>(),
    actor: text('actor').notNull(),
    reason: text('reason'),
    details: jsonb('details').$type<Record<string, unknown>>(),
    createdAt: ts('created_at').notNull(),
  },
  (t) => [uniqueIndex('model_rollouts_domain_name_revision_idx').on(t.domain, t.name, t.revision)],
);

// ---- batch inference jobs ---------------------------------------------------------------

export const batchJobs = pgTable(
  'batch_jobs',
  {
    id: text('id').primaryKey(),
    task: text('task', { enum: ['classify', 'embed', 'rerank'] }).notNull(),
    status: text('status', { enum: ['queued', 'running', 'succeeded', 'failed', 'canceled'] }).notNull(),
    modelVersion: text('model_version').notNull(),
    inputPath: text('input_path').notNull(),
    inputSha256: text('input_sha256').notNull(),
    inputBytes: bigint('input_bytes', { mode: 'number' }).notNull(),
    outputPath: text('output_path').notNull(),
    totalRows: bigint('total_rows', { mode: 'number' }).notNull(),
    rowsDone: bigint('rows_done', { mode: 'number' }).notNull().default(0),
    inputOffset: bigint('input_offset', { mode: 'number' }).notNull().default(0),
    outputBytes: bigint('output_bytes', { mode: 'number' }).notNull().default(0),
    rowErrors: bigint('row_errors', { mode: 'number' }).notNull().default(0),
    errorCode: text('error_code'),
    error: text('error'),
    leaseOwner: text('lease_owner'),
    leaseUntil: ts('lease_until'),
    runStartedAt: ts('run_started_at'),
    rowsAtRunStart: bigint('rows_at_run_start', { mode: 'number' }).notNull().default(0),
    createdBy: text('created_by'),
    createdAt: ts('created_at').notNull(),
    updatedAt: ts('updated_at').notNull(),
    finishedAt: ts('finished_at'),
  },
  (t) => [
    index('batch_jobs_status_idx').on(t.status, t.createdAt),
    check('batch_jobs_status_check', sql`${t.status} in ('queued', 'running', 'succeeded', 'failed', 'canceled')`),
    check('batch_jobs_task_check', sql`${t.task} in ('classify', 'embed', 'rerank')`),
  ],
);

// ---- ops dashboard samples --------------------------------------------------------------

/** One metrics sample per instance and time (ops/timeseries-sampler.ts); `data` is an OpsSample. */
export const opsSamples = pgTable(
  'ops_samples',
  {
    instance: text('instance').notNull(),
    at: ts('at').notNull(),
    data: jsonb('data').$type<Record<string, unknown>>().notNull(),
  },
  (t) => [primaryKey({ columns: [t.instance, t.at] }), index('ops_samples_at_idx').on(t.at)],
);

// ---- order ownership proofs (docs/orders.md) ----------------------------------------------

/**
 * Per session and order (ORDER_VERIFY=email): when the session last gave the order's email
 * (`provenAt`), and how many emails it gave for it since its last proof (`attempts`, the last at
 * `attemptedAt`). No email, no record: ids and times only. `lastAt` is the newer of the two, for pruning.
 */
export const orderChecks = pgTable(
  'order_checks',
  {
    sessionId: text('session_id').notNull(),
    orderId: text('order_id').notNull(),
    provenAt: ts('proven_at'),
    attempts: integer('attempts').notNull().default(0),
    attemptedAt: ts('attempted_at'),
    lastAt: ts('last_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.sessionId, t.orderId] }), index('order_checks_last_at_idx').on(t.lastAt)],
);
