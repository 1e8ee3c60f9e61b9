/**
 * Input checks shared by both Store implementations: bad input becomes a StoreError with code
 * INVALID_INPUT (or DIMENSION_MISMATCH) before any SQL runs.
 */
import { z } from 'zod';
import { RoutePath } from '../../../shared/api/chat.ts';
import { API_KEY_ROLES, StoreError, type ChunkInput, type DocumentInput, type EmbeddingOptions, type FallbackAnswerInput, type NewApiKey, type PredictionLogInput, type StoreOptions, type TurnInput, type UsageDelta } from './types.ts';

export const MAX_K = 1000;
const MAX_ID = 256;

/** `value` as `schema` says, or StoreError INVALID_INPUT naming the first bad field under `what`. */
export function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  const path = i?.path.length ? `${what}.${i.path.join('.')}` : what;
  throw new StoreError('INVALID_INPUT', `${path}: ${i?.message ?? 'invalid'}`);
}

const id = z.string().min(1, 'must not be empty').max(MAX_ID, `must be at most ${MAX_ID} characters`);
/** A whole number from 0 up (counts, sizes, byte offsets). */
export const count = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const money = z.number().finite().nonnegative();
const finite = z.number().finite();

export function checkId(value: unknown, what: string): string {
  return parse(id, value, what);
}

export function checkQuery(query: unknown): string {
  if (typeof query !== 'string') throw new StoreError('INVALID_INPUT', 'query: must be a string');
  return query;
}

export function checkK(k: unknown): number {
  return parse(z.number().int('must be an integer').min(1).max(MAX_K), k, 'k');
}

/** A domain pack's name (domain.json `name`: shared/domain/pack-schema.ts), which keys the model registry. */
export const domainName = z.string().regex(/^[a-z][a-z0-9_-]{0,63}$/, 'must be a domain name: lower case letters, digits, "_" or "-", starting with a letter');

const embeddingOptions = z.object({ dimensions: z.number().int().min(1).max(16000), embeddingVersion: z.string().min(1).max(200) });

export function checkStoreOptions(opts: unknown): StoreOptions {
  return parse(embeddingOptions.extend({ domain: domainName }), opts, 'store options');
}

/** A new embedder's width and version (Store.setEmbedding). */
export function checkEmbeddingOptions(opts: unknown): EmbeddingOptions {
  return parse(embeddingOptions, opts, 'store options');
}

/** Refuses vectors of another embedder than the store's (when the caller says which made them). */
export function checkSameEmbedding(storeVersion: string, vectorsVersion: string | undefined): void {
  if (vectorsVersion !== undefined && vectorsVersion !== storeVersion) {
    throw new StoreError('EMBEDDING_VERSION_MISMATCH', `vectors of ${vectorsVersion}, the store is now on ${storeVersion}`);
  }
}

/** A vector of exactly `dims` finite numbers with a non-zero norm, as a Float32Array. */
export function checkVector(vec: unknown, dims: number, what: string): Float32Array {
  if (!(vec instanceof Float32Array) && !Array.isArray(vec)) throw new StoreError('INVALID_INPUT', `${what}: must be a Float32Array or number[]`);
  if (vec.length !== dims) throw new StoreError('DIMENSION_MISMATCH', `${what}: has ${vec.length} dimensions, the store has ${dims}`);
  const out = Float32Array.from(vec as ArrayLike<number>);
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new StoreError('INVALID_INPUT', `${what}: element ${i} is not a finite number`);
    norm += out[i] * out[i];
  }
  if (norm === 0) throw new StoreError('INVALID_INPUT', `${what}: is the zero vector (no cosine similarity)`);
  return out;
}

const DocumentSchema = z.object({
  id,
  title: z.string().max(1000),
  source: z.string().max(200).nullish(),
  url: z.string().max(2000).nullish(),
  metadata: z.record(z.string(), z.unknown()).nullish(),
  contentHash: z.string().min(1).max(200),
});

export interface CheckedChunk {
  text: string;
  tokenCount: number;
  embedding: Float32Array | null;
  embeddingVersion: string | null;
}

export function checkDocument(doc: unknown, chunks: unknown, opts: EmbeddingOptions): { doc: DocumentInput; chunks: CheckedChunk[] } {
  const d = parse(DocumentSchema, doc, 'document');
  if (!Array.isArray(chunks)) throw new StoreError('INVALID_INPUT', 'chunks: must be an array');
  const out = (chunks as ChunkInput[]).map((c, i) => {
    const base = parse(z.object({ text: z.string().min(1, 'must not be empty'), tokenCount: count, embeddingVersion: z.string().min(1).max(200).optional() }), c, `chunks.${i}`);
    const embedding = c.embedding == null ? null : checkVector(c.embedding, opts.dimensions, `chunks.${i}.embedding`);
    return { text: base.text, tokenCount: base.tokenCount, embedding, embeddingVersion: embedding ? (base.embeddingVersion ?? opts.embeddingVersion) : null };
  });
  return { doc: d, chunks: out };
}

export function checkNewApiKey(key: unknown): NewApiKey {
  return parse(
    z.object({
      id: id.optional(),
      name: z.string().min(1).max(200),
      keyHash: z.string().regex(/^[0-9a-f]{64}$/, 'must be a lowercase sha256 hex digest (never the key itself)'),
      prefix: z.string().min(1).max(32),
      role: z.enum(API_KEY_ROLES),
      rateLimitPerMinute: z.number().int().min(0).max(1_000_000),
      dailyTokenQuota: count.nullish(),
    }),
    key,
    'api key',
  );
}

export function checkKeyHash(hash: unknown): string {
  return parse(z.string().min(1).max(128), hash, 'keyHash');
}

export function checkDay(day: unknown): string {
  const d = parse(z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a YYYY-MM-DD day'), day, 'day');
  const t = new Date(`${d}T00:00:00Z`);
  if (Number.isNaN(t.getTime()) || t.toISOString().slice(0, 10) !== d) throw new StoreError('INVALID_INPUT', `day: ${d} is not a calendar day`);
  return d;
}

/** Today's UTC day as the usage table keys it. */
export function utcDay(at: Date = new Date()): string {
  return at.toISOString().slice(0, 10);
}

export function checkUsageDelta(delta: unknown): Required<UsageDelta> {
  const d = parse(z.object({ requests: count.optional(), tokensIn: count.optional(), tokensOut: count.optional(), costUsd: money.optional() }), delta, 'usage');
  return { requests: d.requests ?? 0, tokensIn: d.tokensIn ?? 0, tokensOut: d.tokensOut ?? 0, costUsd: d.costUsd ?? 0 };
}

export function checkTurn(turn: unknown): TurnInput {
  return parse(
    z.object({
      role: z.enum(['user', 'assistant', 'system']),
      text: z.string().max(200_000),
      intent: z.string().max(64).nullish(),
      confidence: finite.min(0).max(1).nullish(),
      routePath: RoutePath.nullish(),
      modelVersions: z.record(z.string(), z.string()).nullish(),
      latencyMs: z.record(z.string(), finite).nullish(),
      tokensIn: count.nullish(),
      tokensOut: count.nullish(),
      costUsd: money.nullish(),
      fallbacks: z.array(z.string().max(100)).max(50).nullish(),
      traceId: z.string().max(200).nullish(),
    }),
    turn,
    'turn',
  );
}

export function checkPredictionLog(entry: unknown): PredictionLogInput {
  const e = parse(
    z.object({ modelName: id, modelVersion: z.string().min(1).max(200), inputHash: z.string().min(1).max(128), output: z.unknown(), latencyMs: finite.nonnegative() }),
    entry,
    'prediction log',
  );
  return { ...e, output: e.output ?? null };
}

export function checkFallbackAnswer(entry: unknown): FallbackAnswerInput {
  return parse(
    z.object({ intent: id, question: z.string().min(1).max(32_000), text: z.string().min(1).max(64_000), sources: z.array(z.string().max(200)).max(100) }),
    entry,
    'fallback answer',
  );
}

/** staleChunks' arguments. */
export function checkStaleQuery(limit: unknown, afterId: unknown): { limit: number; afterId: number } {
  return { limit: checkLimit(limit, 100), afterId: afterId === undefined ? 0 : parse(z.number().int().min(0), afterId, 'afterId') };
}

/** setChunkEmbeddings' rows: integer ids and vectors of the store's width. */
export function checkChunkEmbeddings(rows: unknown, dims: number): { id: number; embedding: Float32Array }[] {
  if (!Array.isArray(rows)) throw new StoreError('INVALID_INPUT', 'rows must be an array');
  return rows.map((r, i) => ({
    id: parse(z.number().int().min(1), (r as { id?: unknown })?.id, `rows.${i}.id`),
    embedding: checkVector((r as { embedding?: unknown })?.embedding, dims, `rows.${i}.embedding`),
  }));
}

export function checkLimit(limit: unknown, fallback: number): number {
  return limit === undefined ? fallback : parse(z.number().int().min(1).max(10_000), limit, 'limit');
}

