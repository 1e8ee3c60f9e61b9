/** One embedder call within a time budget, shared by query embedding (hybrid.ts) and ingestion (ingest.ts). */
import type { Embedder } from './embedder.ts';
import { RetrievalError } from './errors.ts';

/**
 * Embeds `texts`, aborting the embedder's signal when `timeoutMs` passes (RetrievalError
 * EMBEDDER_TIMEOUT with `timeoutMessage`) or the caller's `signal` aborts (its reason). `check`
 * turns the embedder's output into the result or throws a RetrievalError; any other failure
 * becomes EMBEDDER_ERROR.
 */
export async function embedWithin<T>(
  embedder: Embedder,
  texts: string[],
  timeoutMs: number,
  timeoutMessage: string,
  check: (out: Float32Array[]) => T,
  signal?: AbortSignal,
): Promise<T> {
  const ac = new AbortController();
  const onAbort = () => ac.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const e = new RetrievalError('EMBEDDER_TIMEOUT', timeoutMessage);
      ac.abort(e);
      reject(e);
    }, timeoutMs);
  });
  try {
    return check(await Promise.race([embedder.embed(texts, ac.signal), timeout]));
  } catch (e) {
    if (e instanceof RetrievalError) throw e;
    if (signal?.aborted) throw signal.reason;
    throw new RetrievalError('EMBEDDER_ERROR', `embedder ${embedder.name} failed: ${(e as Error)?.message ?? e}`, { cause: e });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
