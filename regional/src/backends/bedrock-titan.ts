/**
 * Amazon Titan Text Embeddings V2 on Bedrock (`amazon.titan-embed-text-v2:0`): one InvokeModel
 * call per text (the model takes one `inputText`), at most `concurrency` in flight, each with its
 * own timeout, throttled calls retried with full-jitter back-off.
 *
 *   body   {"inputText": "...", "dimensions": 256 | 512 | 1024, "normalize": true}
 *   answer {"embedding": [...], "inputTextTokenCount": n}
 */
import { InvokeModelCommand, type BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { classifyAwsError, createBedrockClient, type AwsCredentials } from '../llm/bedrock-client.ts';
import { fullJitterDelay, sleep } from '../llm/resilient-stream.ts';
import { BackendError, type Embedder } from './types.ts';

export const TITAN_EMBED_V2 = 'amazon.titan-embed-text-v2:0';
/** Titan V2 accepts up to 50,000 characters (8,192 tokens) per text. */
const MAX_CHARS = 50_000;

export interface BedrockTitanEmbedderOptions {
  region: string;
  credentials?: AwsCredentials;
  endpoint?: string;
  modelId?: string;
  /** 256, 512 or 1024. Default 512. */
  dimensions?: 256 | 512 | 1024;
  /** Default true. */
  normalize?: boolean;
  /** Calls in flight at once. Default 8. */
  concurrency?: number;
  /** Per call. Default 5 s. */
  timeoutMs?: number;
  /** Extra attempts per text on throttling/5xx. Default 2. */
  retries?: number;
  backoffBaseMs?: number;
  backoffCapMs?: number;
  random?: () => number;
  client?: BedrockRuntimeClient;
}

export class BedrockTitanEmbedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  readonly modelId: string;
  /** Input tokens billed so far (from inputTextTokenCount). */
  inputTokens = 0;
  private readonly client: BedrockRuntimeClient;

  constructor(private readonly o: BedrockTitanEmbedderOptions) {
    this.modelId = o.modelId ?? TITAN_EMBED_V2;
    this.dimensions = o.dimensions ?? 512;
    if (![256, 512, 1024].includes(this.dimensions)) throw new BackendError('dimensions must be 256, 512 or 1024', 'BAD_REQUEST', false);
    this.name = `bedrock:${this.modelId}`;
    const timeoutMs = o.timeoutMs ?? 5_000;
    this.client =
      o.client ??
      createBedrockClient({ region: o.region, credentials: o.credentials, endpoint: o.endpoint, headersTimeoutMs: timeoutMs, socketTimeoutMs: timeoutMs });
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || texts.length === 0) throw new BackendError('texts must be a non-empty array', 'BAD_REQUEST', false);
    for (const t of texts) {
      if (typeof t !== 'string' || t.trim() === '') throw new BackendError('every text must be a non-empty string', 'BAD_REQUEST', false);
      if (t.length > MAX_CHARS) throw new BackendError(`a text is over ${MAX_CHARS} characters`, 'BAD_REQUEST', false);
    }
    const out = new Array<Float32Array>(texts.length);
    let next = 0;
    const failed = new AbortController();
    const linked = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
    let firstError: unknown;
    const worker = async () => {
      while (next < texts.length && !linked.aborted) {
        const i = next++;
        out[i] = await this.embedOne(texts[i], linked, signal);
      }
    };
    // the first failure is the real one; the calls it abandons fail after it with ABORTED
    const workers = Array.from({ length: Math.min(this.o.concurrency ?? 8, texts.length) }, () =>
      worker().catch((err) => {
        firstError ??= err;
        failed.abort(err);
      }),
    );
    await Promise.all(workers);
    if (firstError !== undefined) throw firstError;
    return out;
  }

  private async embedOne(text: string, signal: AbortSignal, callerSignal: AbortSignal | undefined): Promise<Float32Array> {
    const retries = this.o.retries ?? 2;
    const timeoutMs = this.o.timeoutMs ?? 5_000;
    for (let attempt = 0; ; attempt++) {
      if (signal.aborted) throw new BackendError('Titan embedding aborted', 'ABORTED', false, { cause: signal.reason });
      const timeout = AbortSignal.timeout(timeoutMs);
      try {
        const res = await this.client.send(
          new InvokeModelCommand({
            modelId: this.modelId,
            contentType: 'application/json',
            accept: 'application/json',
            body: JSON.stringify({ inputText: text, dimensions: this.dimensions, normalize: this.o.normalize ?? true }),
          }),
          { abortSignal: AbortSignal.any([signal, timeout]) },
        );
        return this.parse(res.body);
      } catch (raw) {
        if (raw instanceof BackendError) throw raw;
        if (signal.aborted) {
          throw new BackendError(callerSignal?.aborted ? 'Titan embedding aborted by the caller' : 'Titan embedding abandoned', 'ABORTED', false, { cause: raw });
        }
        const e = timeout.aborted ? { code: 'TIMEOUT' as const, retryable: true, message: `no answer within ${timeoutMs} ms`, status: undefined } : classifyAwsError(raw);
        const err = new BackendError(`Titan embedding: ${e.message}`, e.code === 'CIRCUIT_OPEN' ? 'UNAVAILABLE' : e.code, e.retryable, { cause: raw, status: e.status });
        if (!err.retryable || attempt >= retries) throw err;
        await sleep(fullJitterDelay(attempt, this.o.backoffBaseMs ?? 100, this.o.backoffCapMs ?? 1_000, this.o.random), signal).catch(() => {
          throw new BackendError('Titan embedding aborted', 'ABORTED', false);
        });
      }
    }
  }

  private parse(body: Uint8Array | undefined): Float32Array {
    let json: { embedding?: unknown; inputTextTokenCount?: unknown };
    try {
      json = JSON.parse(new TextDecoder().decode(body));
    } catch {
      throw new BackendError('Titan answer is not JSON', 'BAD_RESPONSE', false);
    }
    const e = json.embedding;
    if (!Array.isArray(e) || e.length !== this.dimensions || !e.every((x) => typeof x === 'number' && Number.isFinite(x))) {
      throw new BackendError(`Titan answer has no ${this.dimensions}-number embedding`, 'BAD_RESPONSE', false);
    }
    if (typeof json.inputTextTokenCount === 'number') this.inputTokens += json.inputTextTokenCount;
    return Float32Array.from(e as number[]);
  }

  destroy(): void {
    this.client.destroy();
  }
}
