/**
 * The regional service's persistence contract: documents and their embedded chunks (hybrid
 * retrieval), API keys and usage, conversations and turns, prediction logs. Two implementations
 * behind it: SQLite (sqlite-store.ts, the default) and PostgreSQL + pgvector (pg-store.ts); pick
 * one with openStore() (open.ts). Every method is async so both dialects fit.
 */
import type { RoutePath } from '../../../shared/api/chat.ts';

export type StoreErrorCode =
  | 'INVALID_INPUT'
  | 'DIMENSION_MISMATCH'
  | 'UNSUPPORTED_URL'
  | 'PGVECTOR_UNAVAILABLE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'EMBEDDING_VERSION_MISMATCH'
  | 'CLOSED';

/** Every error the store raises on purpose carries a machine-readable code. */
export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export type Dialect = 'sqlite' | 'postgres';

export interface StoreOptions {
  /** Length of every embedding written and searched. */
  dimensions: number;
  /** Embedding model version written with new chunks; vector search only sees chunks of this version. */
  embeddingVersion: string;
  /**
   * The domain pack served (domain.json `name`): the model registry and rollouts are this
   * domain's alone (Store.registry); another domain on the same database is never seen.
   */
  domain: string;
}

/** What the store knows of the embedder: the width and version of the vectors it writes and searches. */
export type EmbeddingOptions = Pick<StoreOptions, 'dimensions' | 'embeddingVersion'>;

export interface DocumentInput {
  id: string;
  title: string;
  source?: string | null;
  url?: string | null;
  metadata?: Record<string, unknown> | null;
  /** Hash of whatever produced the chunks (ingest.ts: text, title, chunking settings, embedder). */
  contentHash: string;
}

export interface ChunkInput {
  text: string;
  tokenCount: number;
  /** null for a chunk that is only text-searchable. */
  embedding: Float32Array | readonly number[] | null;
  /** Defaults to the store's embeddingVersion. */
  embeddingVersion?: string;
}

export interface StaleChunk {
  id: number;
  text: string;
}

export interface DocumentRecord {
  id: string;
  title: string;
  source: string | null;
  url: string | null;
  metadata: Record<string, unknown> | null;
  contentHash: string;
  createdAt: Date;
  updatedAt: Date;
}

export interface ChunkRecord {
  id: number;
  documentId: string;
  ordinal: number;
  text: string;
  tokenCount: number;
  embeddingVersion: string | null;
}

export interface DocumentSummary {
  id: string;
  source: string | null;
  contentHash: string;
}

/** One search result: a chunk with its document's citation fields and a score (higher is better). */
export interface ChunkHit {
  chunkId: number;
  documentId: string;
  ordinal: number;
  text: string;
  title: string;
  source: string | null;
  url: string | null;
  /** searchText: BM25 (SQLite, sign flipped) or ts_rank_cd (PostgreSQL); searchVector: cosine similarity. */
  score: number;
}

export const API_KEY_ROLES = ['partner', 'edge', 'admin'] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

export interface NewApiKey {
  /** Generated (`key_<random>`) when absent. */
  id?: string;
  name: string;
  /** sha256 hex of the secret key; the key itself is never stored (api-keys.ts makes both). */
  keyHash: string;
  /** The first characters of the key, for display ("sy_live_ab12…"). */
  prefix: string;
  role: ApiKeyRole;
  rateLimitPerMinute: number;
  /** null or absent: no daily token quota. */
  dailyTokenQuota?: number | null;
}

export interface ApiKeyRecord {
  id: string;
  name: string;
  keyHash: string;
  prefix: string;
  role: ApiKeyRole;
  rateLimitPerMinute: number;
  dailyTokenQuota: number | null;
  createdAt: Date;
  /** Set once the key is revoked; a lookup still returns it so the caller can say "revoked". */
  revokedAt: Date | null;
}

export interface UsageDelta {
  requests?: number;
  tokensIn?: number;
  tokensOut?: number;
  costUsd?: number;
}

export interface UsageRecord {
  keyId: string;
  /** UTC day, YYYY-MM-DD */
  day: string;
  requests: number;
  tokensIn: number;
  tokensOut: number;
  costUsd: number;
}

export interface ConversationRecord {
  id: string;
  sessionId: string;
  userId: string | null;
  createdAt: Date;
}

export type TurnRole = 'user' | 'assistant' | 'system';

export interface TurnInput {
  role: TurnRole;
  text: string;
  intent?: string | null;
  confidence?: number | null;
  routePath?: RoutePath | null;
  /** e.g. { classifier: "store-intent@1.2.0", generator: "bedrock:claude-haiku" } */
  modelVersions?: Record<string, string> | null;
  /** Latency per stage in ms, e.g. { classify: 1.2, retrieve: 8, generate: 640, total: 655 } */
  latencyMs?: Record<string, number> | null;
  tokensIn?: number | null;
  tokensOut?: number | null;
  costUsd?: number | null;
  fallbacks?: string[] | null;
  traceId?: string | null;
}

export interface TurnRecord {
  id: number;
  conversationId: string;
  role: TurnRole;
  text: string;
  intent: string | null;
  confidence: number | null;
  routePath: RoutePath | null;
  modelVersions: Record<string, string> | null;
  latencyMs: Record<string, number> | null;
  tokensIn: number | null;
  tokensOut: number | null;
  costUsd: number | null;
  fallbacks: string[] | null;
  traceId: string | null;
  createdAt: Date;
}

export interface PredictionLogInput {
  modelName: string;
  modelVersion: string;
  /** sha256 of the input, so logs can be joined and deduplicated without storing user text. */
  inputHash: string;
  output: unknown;
  latencyMs: number;
}

/** A clean answer worth serving again (marked) when the LLM times out. */
export interface FallbackAnswerInput {
  intent: string;
  question: string;
  text: string;
  /** Ids of the documents it was grounded on. */
  sources: string[];
}

export interface FallbackAnswerRecord extends FallbackAnswerInput {
  id: number;
  createdAt: Date;
}

export interface PredictionLogRecord extends PredictionLogInput {
  id: number;
  createdAt: Date;
}

export interface Store {
  readonly dialect: Dialect;
  readonly dimensions: number;
  readonly embeddingVersion: string;

  /** Inserts or replaces a document and all its chunks in one transaction (createdAt is kept on replace). */
  upsertDocument(doc: DocumentInput, chunks: ChunkInput[]): Promise<{ document: DocumentRecord; chunks: number }>;
  /** Deletes a document and (cascade) its chunks; false when there was none. */
  deleteDocument(id: string): Promise<boolean>;
  getDocument(id: string): Promise<(DocumentRecord & { chunks: ChunkRecord[] }) | null>;
  listDocuments(source?: string): Promise<DocumentSummary[]>;
  /** Full-text search; any user text is safe (punctuation and operators are never query syntax). */
  searchText(query: string, k: number): Promise<ChunkHit[]>;
  /**
   * Nearest chunks by cosine similarity, among chunks of the store's embeddingVersion. With
   * `embeddingVersion` (the embedder that made `vector`), a store now on another embedder (it was
   * swapped meanwhile) refuses with EMBEDDING_VERSION_MISMATCH instead of comparing across versions.
   */
  searchVector(vector: Float32Array | readonly number[], k: number, embeddingVersion?: string): Promise<ChunkHit[]>;
  /**
   * Switches the store to another embedder (a hot-reloaded one): vector search, stats and
   * staleChunks then go by its version and width, and new vectors are stored under it. Chunks of
   * the previous embedder stay as they are (stale, until re-embedded). On PostgreSQL the new
   * version's vector index is created first if missing.
   */
  useEmbedding(embeddingVersion: string, dimensions: number): Promise<void>;
  stats(): Promise<{ documents: number; chunks: number; embeddedChunks: number }>;
  /**
   * Chunks with a vector from another embedder (its embedding version is not the store's), in id
   * order after `afterId`: what retrieval/reembed.ts re-embeds after the embedder changed.
   * Text-only chunks (no vector) are not listed.
   */
  staleChunks(limit: number, afterId?: number): Promise<StaleChunk[]>;
  /**
   * Replaces chunks' vectors with ones of the store's embedder; returns how many chunks still
   * existed. With `embeddingVersion` (the embedder that made them), EMBEDDING_VERSION_MISMATCH
   * when the store is now on another one.
   */
  setChunkEmbeddings(rows: { id: number; embedding: Float32Array | readonly number[] }[], embeddingVersion?: string): Promise<number>;

  createApiKey(key: NewApiKey): Promise<ApiKeyRecord>;
  getApiKey(id: string): Promise<ApiKeyRecord | null>;
  getApiKeyByHash(keyHash: string): Promise<ApiKeyRecord | null>;
  listApiKeys(): Promise<ApiKeyRecord[]>;
  /** Sets revokedAt; false when the key does not exist or was already revoked. */
  revokeApiKey(id: string): Promise<boolean>;

  /** Atomically adds to a key's counters for a day (creating the row) and returns the new totals. */
  incrementUsage(keyId: string, day: string, delta: UsageDelta): Promise<UsageRecord>;
  /** A key's totals for a day (zeros when nothing was recorded). */
  getUsage(keyId: string, day: string): Promise<UsageRecord>;

  /** The session's conversation, created on first use (one conversation per session id). */
  getOrCreateConversation(sessionId: string, userId?: string | null): Promise<ConversationRecord>;
  appendTurn(conversationId: string, turn: TurnInput): Promise<TurnRecord>;
  /**
   * Appends turns as one unit (e.g. a question and its answer): all or none, and no other turn of
   * the conversation lands between them even when several requests append at once.
   */
  appendTurns(conversationId: string, turns: TurnInput[]): Promise<TurnRecord[]>;
  /** The conversation and its turns in order (the last `limit` turns when given), or null. */
  getConversationBySession(sessionId: string, opts?: { limit?: number }): Promise<{ conversation: ConversationRecord; turns: TurnRecord[] } | null>;

  appendPredictionLog(entry: PredictionLogInput): Promise<PredictionLogRecord>;
  /**
   * Remembers an answer for its intent (replacing an earlier answer to the same question) and
   * forgets that intent's answers beyond the newest `keep`.
   */
  rememberAnswer(entry: FallbackAnswerInput, keep: number): Promise<void>;
  /** An intent's remembered answers, newest first. */
  recentAnswers(intent: string, limit: number): Promise<FallbackAnswerRecord[]>;
  /** Forgets one remembered answer or an intent's; returns the records removed. */
  forgetAnswers(which: { id: number } | { intent: string }): Promise<FallbackAnswerRecord[]>;
  /** Newest first. */
  listPredictionLogs(opts?: { modelName?: string; limit?: number }): Promise<PredictionLogRecord[]>;

  /** Model versions, their stages and the history of stage changes (same database). */
  readonly registry: ModelRegistryStore;
  /** Batch inference jobs and their checkpoints (same database). */
  readonly batchJobs: BatchJobStore;
  /** The ops dashboard's metric samples (same database). */
  readonly opsSamples: OpsSampleStore;
  /** Which orders each session has shown it owns, and its attempts (same database; docs/orders.md). */
  readonly orderChecks: OrderCheckStore;

  close(): Promise<void>;
}

// ---- model registry -----------------------------------------------------------------------

export const MODEL_STAGES = ['dev', 'staging', 'production', 'archived'] as const;
export type ModelStage = (typeof MODEL_STAGES)[number];
export const MODEL_KINDS = ['intent-classifier', 'sentence-embedder', 'cross-encoder', 'llm-config', 'routing-config'] as const;
export type ModelKind = (typeof MODEL_KINDS)[number];
export type StageAction = 'register' | 'promote' | 'demote' | 'rollback';

export interface NewModelVersion {
  name: string;
  version: string;
  kind: ModelKind;
  /** Where the artifact lives: an absolute folder path or a URL (s3://, https://). */
  artifactUri: string;
  /** sha256 (hex) of every file of the artifact, by relative path. */
  files: Record<string, string>;
  trainingDataSha256?: string | null;
  metrics?: Record<string, unknown> | null;
  /** Training settings from the manifest. */
  settings?: Record<string, unknown> | null;
  sizeBytes: number;
  /** Lineage: the git commit the artifact was built from and the version it descends from. */
  gitCommit?: string | null;
  parentVersion?: string | null;
  /** Reference distribution for drift (ops/drift.ts DriftBaseline), when one was computed. */
  baseline?: Record<string, unknown> | null;
  registeredBy: string;
}

export interface ModelVersionRecord {
  id: number;
  /** The domain pack the version belongs to. */
  domain: string;
  name: string;
  version: string;
  kind: ModelKind;
  artifactUri: string;
  files: Record<string, string>;
  trainingDataSha256: string | null;
  metrics: Record<string, unknown> | null;
  settings: Record<string, unknown> | null;
  sizeBytes: number;
  stage: ModelStage;
  /** Who or what made the last stage change, when, and why. */
  promotedBy: string | null;
  promotedAt: Date | null;
  reason: string | null;
  gitCommit: string | null;
  parentVersion: string | null;
  baseline: Record<string, unknown> | null;
  registeredBy: string;
  createdAt: Date;
}

export interface StageChangeRecord {
  id: number;
  domain: string;
  name: string;
  version: string;
  fromStage: ModelStage | null;
  toStage: ModelStage;
  action: StageAction;
  actor: string;
  reason: string | null;
  /** Machine-readable why, when the change had one (e.g. a canary rollback's guardrail breaches). */
  details: Record<string, unknown> | null;
  createdAt: Date;
}

export interface StageChangeInput {
  actor: string;
  reason?: string | null;
  details?: Record<string, unknown> | null;
  /** Record the move as a rollback (e.g. a canary candidate sent back by its guardrails) instead of promote/demote. */
  action?: 'rollback';
}

/** One revision of a model's rollout rule; the highest revision is the rule in force. */
export interface RolloutRecord {
  domain: string;
  name: string;
  revision: number;
  /** The rule (ops/rollout-rules.ts gives its shape); null when the rollout was removed. */
  rule: Record<string, unknown> | null;
  actor: string;
  reason: string | null;
  details: Record<string, unknown> | null;
  createdAt: Date;
}

export interface RolloutChangeInput {
  actor: string;
  reason?: string | null;
  details?: Record<string, unknown> | null;
  /** Compare-and-set: the revision the change was made against (0: no rule yet); CONFLICT when another change came first. */
  expectedRevision?: number;
  /** A stage move of one version in the same transaction (e.g. the canary candidate sent back to dev). */
  stage?: { version: string; to: ModelStage; change: StageChangeInput };
}

/** One domain's model registry: every method sees and changes only that domain's rows. */
export interface ModelRegistryStore {
  /** The domain pack whose models these are (StoreOptions.domain). */
  readonly domain: string;
  /** Adds a version in stage `dev` (recorded as a `register` change); CONFLICT when name@version exists. */
  registerModelVersion(v: NewModelVersion): Promise<ModelVersionRecord>;
  getModelVersion(name: string, version: string): Promise<ModelVersionRecord | null>;
  /** Newest first. */
  listModelVersions(opts?: { name?: string; stage?: ModelStage }): Promise<ModelVersionRecord[]>;
  getProductionVersion(name: string): Promise<ModelVersionRecord | null>;
  /**
   * Moves a version to another stage in one transaction (registry-rules.ts says which moves are
   * allowed). Promoting to production archives the version that was in production (at most one
   * production version per name, enforced by a partial unique index). NOT_FOUND, CONFLICT.
   */
  setStage(name: string, version: string, to: ModelStage, change: StageChangeInput): Promise<ModelVersionRecord>;
  /**
   * Puts the previous production version back in production and archives the current one, both
   * recorded as `rollback`. NOT_FOUND when nothing is in production, CONFLICT when no earlier
   * production version exists.
   */
  rollback(name: string, change: StageChangeInput): Promise<{ from: ModelVersionRecord; to: ModelVersionRecord }>;
  /** Oldest first. */
  listStageChanges(name: string, opts?: { version?: string; limit?: number }): Promise<StageChangeRecord[]>;
  /**
   * Writes the next revision of a model's rollout rule (null removes it), with an optional stage
   * move in the same transaction. CONFLICT when `expectedRevision` is not the current one (or a
   * concurrent writer took the revision), NOT_FOUND / CONFLICT from the stage move as setStage.
   */
  putRollout(name: string, rule: Record<string, unknown> | null, change: RolloutChangeInput): Promise<RolloutRecord>;
  /** The latest revision (its rule null when removed), or null when the model never had one. */
  getRollout(name: string): Promise<RolloutRecord | null>;
  /** The rules in force (latest revision of every model whose rule is not null). */
  listRollouts(): Promise<RolloutRecord[]>;
  /** Oldest first: the last `limit` revisions. */
  listRolloutHistory(name: string, opts?: { limit?: number }): Promise<RolloutRecord[]>;
}

// ---- batch inference jobs -----------------------------------------------------------------

export const BATCH_TASKS = ['classify', 'embed', 'rerank'] as const;
export type BatchTask = (typeof BATCH_TASKS)[number];
export const BATCH_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'canceled'] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

export interface NewBatchJob {
  id: string;
  task: BatchTask;
  /** The model version the job runs on; a resume on another version fails the job (MODEL_CHANGED). */
  modelVersion: string;
  inputPath: string;
  inputSha256: string;
  inputBytes: number;
  outputPath: string;
  /** Non-empty input lines. */
  totalRows: number;
  createdBy?: string | null;
}

export interface BatchCheckpoint {
  /** Rows whose output is durably in the output file. */
  rowsDone: number;
  /** Byte offset in the input of the first row not done. */
  inputOffset: number;
  /** Length of the output file that holds exactly rowsDone rows (anything past it is discarded on resume). */
  outputBytes: number;
  /** Rows written with an error instead of a result. */
  rowErrors: number;
}

export interface BatchJobRecord extends NewBatchJob, BatchCheckpoint {
  status: BatchStatus;
  errorCode: string | null;
  error: string | null;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  /** Start of the current (or last) run and rowsDone then: the ETA is measured over this run. */
  runStartedAt: Date | null;
  rowsAtRunStart: number;
  createdAt: Date;
  updatedAt: Date;
  finishedAt: Date | null;
}

export interface BatchJobStore {
  createBatchJob(job: NewBatchJob): Promise<BatchJobRecord>;
  getBatchJob(id: string): Promise<BatchJobRecord | null>;
  /** Newest first. */
  listBatchJobs(opts?: { statuses?: BatchStatus[]; limit?: number }): Promise<BatchJobRecord[]>;
  /**
   * Takes the job's lease for `owner` (status → running, a new run starts) when it is queued or
   * running and its lease is free, expired, or still held by `expectedOwner` (a holder the caller
   * knows is dead). Compare-and-set: null when someone else got it first.
   */
  claimBatchJob(id: string, owner: string, leaseMs: number, expectedOwner?: string | null): Promise<BatchJobRecord | null>;
  /** Records progress and extends the lease; false when `owner` no longer holds the lease. */
  checkpointBatchJob(id: string, owner: string, checkpoint: BatchCheckpoint, leaseMs: number): Promise<boolean>;
  /** Ends the job (succeeded, failed or canceled) if `owner` holds the lease; false otherwise. */
  finishBatchJob(id: string, owner: string, end: { status: 'succeeded' | 'failed' | 'canceled'; errorCode?: string | null; error?: string | null }): Promise<boolean>;
  /** Cancels a queued or running job (its runner stops at its next checkpoint); false when it had ended. */
  cancelBatchJob(id: string): Promise<boolean>;
}

// ---- ops dashboard samples ----------------------------------------------------------------

export interface OpsSampleRecord {
  /** Which service instance took it (several regional instances may share one database). */
  instance: string;
  at: Date;
  /** The sample itself (ops/timeseries.ts OpsSample), stored as JSON. */
  data: Record<string, unknown>;
}

export interface OpsSampleStore {
  /** Stores a sample; another one for the same instance and time replaces it. */
  appendOpsSample(sample: OpsSampleRecord): Promise<void>;
  /**
   * The instance's samples taken at or after `since`, oldest first: the newest `limit` of them
   * (default 10,000), or the oldest with `take: 'oldest'` (to page forward from `since`).
   */
  listOpsSamples(instance: string, opts?: { since?: Date; limit?: number; take?: 'oldest' | 'newest' }): Promise<OpsSampleRecord[]>;
  /** The instances with a sample taken at or after `since` (several regional instances on one database: the fleet), by name. */
  listOpsInstances(since: Date): Promise<string[]>;
  /** Deletes every instance's samples taken before `before`; returns how many went. */
  pruneOpsSamples(before: Date): Promise<number>;
}

// ---- order ownership proofs ----------------------------------------------------------------

/** One session's standing with one order (ORDER_VERIFY=email, docs/orders.md): ids and times, never an email. */
export interface OrderCheckRecord {
  sessionId: string;
  orderId: string;
  /** When the session last gave the email the order was placed with; null if never. */
  provenAt: Date | null;
  /** Emails given for the order since its last proof (within the attempt window, see countOrderAttempt). */
  attempts: number;
  attemptedAt: Date | null;
  /** The newer of provenAt and attemptedAt. */
  lastAt: Date;
}

export interface OrderCheckStore {
  getOrderCheck(sessionId: string, orderId: string): Promise<OrderCheckRecord | null>;
  /**
   * Counts one email given for the order, atomically, and returns the count with it: the count
   * restarts at 1 when the previous attempt was before `since`.
   */
  countOrderAttempt(sessionId: string, orderId: string, at: Date, since: Date): Promise<number>;
  /** Records that the session gave the order's email at `at` (its attempts back to 0). */
  proveOrder(sessionId: string, orderId: string, at: Date): Promise<void>;
  /** Deletes the rows with neither proof nor attempt since `before`; returns how many went. */
  pruneOrderChecks(before: Date): Promise<number>;
}
