/**
 * Row helpers shared by both Store implementations: the column values each write sets and the
 * mapping of rows back to records. Table-dependent pieces take the dialect's table (or columns).
 */
import { and, eq, gt, isNotNull, isNull, ne, notInArray, or, sql, type Column, type SQLWrapper } from 'drizzle-orm';
import type { ApiKeyRecord, DocumentInput, DocumentRecord, NewApiKey, TurnInput, UsageRecord } from './types.ts';
import { checkId, type CheckedChunk } from './validate.ts';

/** Chunks inserted per statement (keeps the bound parameters well under both drivers' limits). */
const INSERT_BATCH = 200;

export function newKeyId(): string {
  return `key_${crypto.randomUUID().replace(/-/g, '').slice(0, 20)}`;
}

/** A document's columns on insert (`values`) and the ones an upsert replaces (`set`: createdAt is kept). */
export function documentColumns(d: DocumentInput, now: Date) {
  const set = { title: d.title, source: d.source ?? null, url: d.url ?? null, metadata: d.metadata ?? null, contentHash: d.contentHash, updatedAt: now };
  return { values: { id: d.id, ...set, createdAt: now }, set };
}

/** A document's chunk rows, numbered from 0, in insert batches; `encode` gives the dialect's embedding column value. */
export function* chunkRowBatches<E>(documentId: string, cs: readonly CheckedChunk[], encode: (v: Float32Array) => E) {
  for (let i = 0; i < cs.length; i += INSERT_BATCH) {
    yield cs.slice(i, i + INSERT_BATCH).map((c, j) => ({
      documentId,
      ordinal: i + j,
      text: c.text,
      tokenCount: c.tokenCount,
      embedding: c.embedding ? encode(c.embedding) : null,
      embeddingVersion: c.embeddingVersion,
    }));
  }
}

/** The remembered answer of the same intent and question (replaced by a newer one). */
export function sameQuestion(t: { intent: Column; question: Column }, e: { intent: string; question: string }) {
  return and(eq(t.intent, e.intent), eq(t.question, e.question));
}

/** An intent's remembered answers other than the `newest` (a subquery of their ids): the ones to forget. */
export function answersBeyond(t: { id: Column; intent: Column }, intent: string, newest: SQLWrapper) {
  return and(eq(t.intent, intent), notInArray(t.id, newest));
}

/** Chunks with a vector of another version than `version` (staleChunks), after chunk `afterId`. */
export function staleAfter(chunks: { id: Column; embedding: Column; embeddingVersion: Column }, version: string, afterId: number) {
  return and(isNotNull(chunks.embedding), or(isNull(chunks.embeddingVersion), ne(chunks.embeddingVersion, version)), gt(chunks.id, afterId));
}

/** Chunks whose embedding is there and of `version` (the ones vector search sees). */
export function embeddedWith(chunks: { embedding: Column; embeddingVersion: Column }, version: string) {
  return and(isNotNull(chunks.embedding), eq(chunks.embeddingVersion, version));
}

export function toDocument(r: Omit<DocumentRecord, 'metadata'> & { metadata: Record<string, unknown> | null | undefined }): DocumentRecord {
  return { ...r, metadata: r.metadata ?? null };
}

export function apiKeyRow(k: NewApiKey, now: Date): Omit<ApiKeyRecord, 'revokedAt'> {
  return {
    id: k.id ?? newKeyId(),
    name: k.name,
    keyHash: k.keyHash,
    prefix: k.prefix,
    role: k.role,
    rateLimitPerMinute: k.rateLimitPerMinute,
    dailyTokenQuota: k.dailyTokenQuota ?? null,
    createdAt: now,
  };
}

/** The upsert's `set` that adds the inserted (excluded) row's counters to the stored ones. */
export function addUsage(usage: { requests: Column; tokensIn: Column; tokensOut: Column; costUsd: Column }) {
  return {
    requests: sql`${usage.requests} + excluded.requests`,
    tokensIn: sql`${usage.tokensIn} + excluded.tokens_in`,
    tokensOut: sql`${usage.tokensOut} + excluded.tokens_out`,
    costUsd: sql`${usage.costUsd} + excluded.cost_usd`,
  };
}

/** A key's totals for a day when nothing was recorded. */
export function noUsage(keyId: string, day: string): UsageRecord {
  return { keyId, day, requests: 0, tokensIn: 0, tokensOut: 0, costUsd: 0 };
}

/** A new conversation's row (ids checked), and the upsert's `set` that keeps a known user id. */
export function conversationUpsert(conversations: { userId: Column }, sessionId: unknown, userId: unknown) {
  const sid = checkId(sessionId, 'sessionId');
  const uid = userId == null ? null : checkId(userId, 'userId');
  return {
    values: { id: crypto.randomUUID(), sessionId: sid, userId: uid, createdAt: new Date() },
    set: { userId: sql`coalesce(${conversations.userId}, excluded.user_id)` },
  };
}

/** listPredictionLogs: one model's logs when `modelName` is given. */
export function logsOfModel(predictionLogs: { modelName: Column }, modelName: string | undefined) {
  return modelName === undefined ? undefined : eq(predictionLogs.modelName, checkId(modelName, 'modelName'));
}

/** Rows appending checked turns to a conversation as one unit (one timestamp). */
export function turnRows(conversationId: string, list: TurnInput[]) {
  const at = new Date();
  return list.map((t) => ({ conversationId, ...turnColumns(t), createdAt: at }));
}

export function turnColumns(t: TurnInput) {
  return {
    role: t.role,
    text: t.text,
    intent: t.intent ?? null,
    confidence: t.confidence ?? null,
    routePath: t.routePath ?? null,
    modelVersions: t.modelVersions ?? null,
    latencyMs: t.latencyMs ?? null,
    tokensIn: t.tokensIn ?? null,
    tokensOut: t.tokensOut ?? null,
    costUsd: t.costUsd ?? null,
    fallbacks: t.fallbacks ?? null,
    traceId: t.traceId ?? null,
  };
}
