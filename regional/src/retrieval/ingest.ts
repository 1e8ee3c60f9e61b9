/**
 * Ingestion: chunk a document, embed every chunk, and upsert it with its chunks in one store
 * transaction. The document's content hash covers everything that shapes the stored chunks (title,
 * text, source, url, metadata, chunking settings and embedder version), so re-ingesting an
 * unchanged document is a no-op unless `force` is set.
 *
 * A chunk the embedder has no vector for (every word outside its vocabulary, e.g. Japanese or
 * Arabic text with an English vocabulary: the zero vector) is stored without one: text search
 * still finds it (the store's word and trigram indexes), vector search does not see it.
 */
import { createHash } from 'node:crypto';
import type { Store } from '../store/types.ts';
import { chunkText, resolveChunkOptions, type ChunkOptions } from './chunker.ts';
import type { Embedder } from './embedder.ts';
import { RetrievalError } from './errors.ts';
import { embedWithin } from './embed-within.ts';

export interface IngestInput {
  id: string;
  title: string;
  text: string;
  source?: string;
  url?: string;
  metadata?: Record<string, unknown>;
}

export interface IngestOptions extends ChunkOptions {
  /** Re-embed and rewrite even when the content hash is unchanged. */
  force?: boolean;
  /** Budget for embedding one document's chunks (default 30 s). */
  embedTimeoutMs?: number;
  signal?: AbortSignal;
}

export interface IngestResult {
  id: string;
  status: 'ingested' | 'unchanged';
  chunks: number;
  contentHash: string;
}

/** The hash ingestDocument stores; equal hashes mean re-ingesting would write the same chunks. */
export function documentHash(doc: IngestInput, opts: ChunkOptions, embedderName: string): string {
  const { size, overlap, unit } = resolveChunkOptions(opts);
  const payload = JSON.stringify({
    v: 1,
    title: doc.title,
    text: doc.text,
    source: doc.source ?? null,
    url: doc.url ?? null,
    metadata: doc.metadata ?? null,
    chunk: { size, overlap, unit, custom: opts.countTokens ? 'countTokens' : null },
    embedder: embedderName,
  });
  return createHash('sha256').update(payload, 'utf8').digest('hex');
}

export function checkEmbedderFits(store: Store, embedder: Embedder): void {
  if (embedder.dimensions !== store.dimensions) {
    throw new RetrievalError('DIMENSION_MISMATCH', `embedder ${embedder.name} makes ${embedder.dimensions}-d vectors, the store holds ${store.dimensions}-d`);
  }
  if (embedder.name !== store.embeddingVersion) {
    throw new RetrievalError(
      'EMBEDDING_VERSION_MISMATCH',
      `embedder ${embedder.name} is not the store's embedding version ${store.embeddingVersion}: its vectors would be invisible to vector search`,
    );
  }
}

function checkInput(doc: IngestInput): void {
  const bad = (m: string) => new RetrievalError('INVALID_INPUT', m);
  if (!doc || typeof doc !== 'object') throw bad('document must be an object');
  if (typeof doc.id !== 'string' || !doc.id.trim()) throw bad('document id must be a non-empty string');
  if (typeof doc.title !== 'string') throw bad(`document ${doc.id}: title must be a string`);
  if (typeof doc.text !== 'string' || !doc.text.trim()) throw bad(`document ${doc.id}: text must be a non-empty string`);
}

function embedAll(embedder: Embedder, texts: string[], timeoutMs: number, signal?: AbortSignal): Promise<Float32Array[]> {
  const message = `embedding ${texts.length} chunks took longer than ${timeoutMs} ms`;
  return embedWithin(
    embedder,
    texts,
    timeoutMs,
    message,
    (out) => {
      if (!Array.isArray(out) || out.length !== texts.length) {
        throw new RetrievalError('EMBEDDER_ERROR', `embedder ${embedder.name} returned ${Array.isArray(out) ? out.length : 'no'} vectors for ${texts.length} texts`);
      }
      return out;
    },
    signal,
  );
}

/** False for the zero vector (no word the embedder knows), which has no cosine similarity to anything. */
export function hasDirection(v: ArrayLike<number>): boolean {
  for (let i = 0; i < v.length; i++) if (v[i] !== 0) return true;
  return false;
}

export async function ingestDocument(store: Store, embedder: Embedder, doc: IngestInput, opts: IngestOptions = {}): Promise<IngestResult> {
  checkInput(doc);
  checkEmbedderFits(store, embedder);
  const contentHash = documentHash(doc, opts, embedder.name);
  if (!opts.force) {
    const existing = await store.getDocument(doc.id);
    if (existing && existing.contentHash === contentHash) return { id: doc.id, status: 'unchanged', chunks: existing.chunks.length, contentHash };
  }
  const chunks = chunkText(doc.text, opts);
  const vectors = await embedAll(
    embedder,
    chunks.map((c) => c.text),
    opts.embedTimeoutMs ?? 30_000,
    opts.signal,
  );
  // Hot reload may have moved the store to another embedder while these were embedded: refuse
  // vectors the store would file under a version it no longer searches (retrying uses the new one).
  checkEmbedderFits(store, embedder);
  await store.upsertDocument(
    { id: doc.id, title: doc.title, source: doc.source ?? null, url: doc.url ?? null, metadata: doc.metadata ?? null, contentHash },
    chunks.map((c, i) => ({ text: c.text, tokenCount: c.tokenCount, embedding: hasDirection(vectors[i]) ? vectors[i] : null, embeddingVersion: embedder.name })),
  );
  return { id: doc.id, status: 'ingested', chunks: chunks.length, contentHash };
}
