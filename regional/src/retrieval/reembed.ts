/**
 * After the embedder changes (another model, another width), chunks keep the vectors of the old
 * one, which vector search of the new one ignores: they would be found by text search only. This
 * re-embeds them from their stored text with the current embedder, in the batchers' low-priority
 * lane (interactive requests go first), a page at a time. The service runs it in the
 * background at startup and again after an embedder hot reload (REEMBED_STALE_CHUNKS); until it
 * is done, vector search sees the chunks done so far, and text search all of them. Each page is
 * written only if the store is still on this embedder (a swap stops it first).
 */
import type { Store } from '../store/types.ts';
import type { Embedder } from './embedder.ts';

export interface ReembedOptions {
  /** Chunks per embedder call and store write. Default 64. */
  pageSize?: number;
  signal?: AbortSignal;
  /** Called after every page with the running total. */
  onPage?: (done: number) => void;
}

export async function reembedStaleChunks(store: Store, embedder: Embedder, opts: ReembedOptions = {}): Promise<{ chunks: number }> {
  if (embedder.name !== store.embeddingVersion || embedder.dimensions !== store.dimensions) {
    throw new Error(`embedder ${embedder.name} (${embedder.dimensions}-d) is not the store's (${store.embeddingVersion}, ${store.dimensions}-d)`);
  }
  const pageSize = opts.pageSize ?? 64;
  let after = 0;
  let done = 0;
  for (;;) {
    opts.signal?.throwIfAborted();
    const page = await store.staleChunks(pageSize, after);
    if (!page.length) return { chunks: done };
    const vectors = await embedder.embed(
      page.map((c) => c.text),
      opts.signal,
      'batch',
    );
    done += await store.setChunkEmbeddings(
      page.map((c, i) => ({ id: c.id, embedding: vectors[i] })),
      embedder.name,
    );
    after = page[page.length - 1].id;
    opts.onPage?.(done);
  }
}
