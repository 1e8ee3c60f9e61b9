/** Errors raised by the retrieval layer, each with a machine-readable code. */
export type RetrievalErrorCode = 'INVALID_INPUT' | 'DIMENSION_MISMATCH' | 'EMBEDDING_VERSION_MISMATCH' | 'EMBEDDER_TIMEOUT' | 'EMBEDDER_ERROR';

export class RetrievalError extends Error {
  constructor(
    readonly code: RetrievalErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'RetrievalError';
  }
}
