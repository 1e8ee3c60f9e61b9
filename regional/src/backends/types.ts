/** What embedding and reranking backends implement (in-process ONNX, KServe v2 / Triton, Bedrock Titan). */
import type { Lane } from '../inference/batcher.ts';

export type { Lane };

export interface Embedder {
  readonly name: string;
  readonly dimensions: number;
  /**
   * One vector per text, in order. `lane` "batch" marks work nobody is waiting on (batch jobs,
   * re-embedding): an in-process model runs it only in room interactive calls leave.
   */
  embed(texts: string[], signal?: AbortSignal, lane?: Lane): Promise<Float32Array[]>;
}

export interface Reranker {
  readonly name: string;
  /** One relevance score per passage, in order (higher is more relevant; scale is the model's). */
  rerank(query: string, passages: string[], signal?: AbortSignal): Promise<number[]>;
}

export type BackendErrorCode = 'THROTTLED' | 'TIMEOUT' | 'UNAVAILABLE' | 'BAD_REQUEST' | 'BAD_RESPONSE' | 'ABORTED';

/** Thrown by embedders and rerankers. `BAD_RESPONSE`: the server answered with something unusable. */
export class BackendError extends Error {
  readonly status?: number;
  constructor(
    message: string,
    readonly code: BackendErrorCode,
    readonly retryable: boolean,
    options: { cause?: unknown; status?: number } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'BackendError';
    this.status = options.status;
  }
}
