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
}

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
  /** Nearest chunks by cosine similarity, among chunks of the store's embeddingVersion. */
  searchVector(vector: Float32Array | readonly number[], k: number): Promise<ChunkHit[]>;
  stats(): Promise<{ documents: number; chunks: number; embeddedChunks: number }>;

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
  /** The conversation and its turns in order (the last `limit` turns when given), or null. */
  getConversationBySession(sessionId: string, opts?: { limit?: number }): Promise<{ conversation: ConversationRecord; turns: TurnRecord[] } | null>;

  appendPredictionLog(entry: PredictionLogInput): Promise<PredictionLogRecord>;
  /** Newest first. */
  listPredictionLogs(opts?: { modelName?: string; limit?: number }): Promise<PredictionLogRecord[]>;

  close(): Promise<void>;
}
