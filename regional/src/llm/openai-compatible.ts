/**
 * Generation on any OpenAI-compatible chat server (vLLM, Ollama, TGI, llama.cpp server, LiteLLM…):
 * `POST {baseUrl}/v1/chat/completions` with `stream: true`, read as server-sent events
 * (`data: {"choices":[{"delta":{"content":"…"}}]}` … `data: [DONE]`), usage from the final chunk
 * requested with `stream_options.include_usage`.
 *
 * Same failure handling as Bedrock (resilient-stream.ts): time-to-first-token and total timeouts,
 * jittered retries on 429/5xx before the first token, failover to the next server, a circuit
 * breaker per (server, model). A server that fails mid-answer is not retried: the next server
 * continues the answer from the text so far, as a final assistant message with vLLM's
 * `continue_final_message` (`continuation: "continue_final_message"`), else followed by an
 * instruction to continue exactly from it (`"instruction"`, the default; any server).
 */
import type { CircuitBreakerRegistry } from './circuit-breaker.ts';
import { callerInstructions, continuing, conversationWithContext, validateLlmRequest } from './request-messages.ts';
import { breakerRegistry, resilienceOptions, resilientStream, type ResilienceSettings, type StreamTarget } from './resilient-stream.ts';
import { LlmError, type LlmBackend, type LlmChunk, type LlmPricing, type LlmRequest } from './types.ts';

export interface OpenAICompatibleServer {
  /** e.g. "http://gpu-1:8000" (a trailing "/v1" is accepted and dropped). */
  baseUrl: string;
  /** Sent as `Authorization: Bearer …` when set. */
  apiKey?: string;
  /**
   * How this server continues a cut answer: `continue_final_message` (vLLM: the answer so far as
   * the final assistant message, `continue_final_message: true`, `add_generation_prompt: false`)
   * or `instruction` (default: that message followed by a user turn asking to continue exactly).
   */
  continuation?: 'continue_final_message' | 'instruction';
}

/** Retries, back-off, timeouts and breakers as in ResilienceSettings, per server. */
export interface OpenAICompatibleConfig extends OpenAICompatibleServer, ResilienceSettings {
  /** Model names as the server knows them, e.g. { small: "qwen2.5:3b", large: "qwen2.5:32b" }. */
  models: { small: string; large: string };
  /** Servers tried in order after `baseUrl` fails. */
  failover?: OpenAICompatibleServer[];
  /** Reported as the backend name. Default "openai". */
  name?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
  /** What the two models cost (a self-hosted GPU's share), for the usage cost estimate. */
  pricing?: LlmPricing;
}

export class OpenAICompatibleBackend implements LlmBackend {
  readonly name: string;
  readonly pricing?: LlmPricing;
  readonly breakers: CircuitBreakerRegistry;
  private readonly servers: OpenAICompatibleServer[];
  private readonly fetchImpl: typeof fetch;

  constructor(private readonly config: OpenAICompatibleConfig) {
    if (!config.models?.small || !config.models?.large) throw new LlmError('OpenAICompatibleBackend needs models.small and models.large', 'BAD_REQUEST', false);
    this.name = config.name ?? 'openai';
    this.pricing = config.pricing;
    this.servers = [{ baseUrl: config.baseUrl, apiKey: config.apiKey, continuation: config.continuation }, ...(config.failover ?? [])].map((s) => ({
      baseUrl: normalizeBaseUrl(s.baseUrl),
      apiKey: s.apiKey,
      continuation: s.continuation,
    }));
    this.breakers = breakerRegistry(config);
    this.fetchImpl = config.fetch ?? fetch;
  }

  generate(req: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(req);
  }

  private async *run(req: LlmRequest): AsyncGenerator<LlmChunk> {
    validateLlmRequest(req);
    const model = this.config.models[req.tier];
    // One system message (some chat templates take no second): the operator's prompt first, so a server's prefix cache still shares it.
    const system = [req.system.trim() && req.system, callerInstructions(req)].filter(Boolean).join('\n\n');
    const messages = [...(system ? [{ role: 'system', content: system }] : []), ...conversationWithContext(req)];
    const body = (server: OpenAICompatibleServer, prefill: string | undefined) => {
      const native = !!prefill && server.continuation === 'continue_final_message';
      return JSON.stringify({
        model,
        messages: continuing(messages, prefill, native ? 'prefill' : 'instruction'),
        ...(native ? { continue_final_message: true, add_generation_prompt: false } : {}),
        max_tokens: req.maxTokens,
        ...(req.temperature !== undefined ? { temperature: req.temperature } : {}),
        stream: true,
        stream_options: { include_usage: true },
      });
    };
    const targets: StreamTarget[] = this.servers.map((server) => ({
      key: `${this.name}|${server.baseUrl}|${model}`,
      model,
      open: (signal, prefill) => this.attempt(server, body(server, prefill), signal),
    }));
    yield* resilientStream(targets, resilienceOptions(this.config, this.breakers, classifyFetchError), req.signal, req.prefill);
  }

  private async *attempt(server: OpenAICompatibleServer, body: string, signal: AbortSignal): AsyncGenerator<LlmChunk> {
    const res = await this.fetchImpl(`${server.baseUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'text/event-stream',
        ...(server.apiKey ? { authorization: `Bearer ${server.apiKey}` } : {}),
        ...this.config.headers,
      },
      body,
      signal,
    });
    if (!res.ok) throw await httpError(res);
    if (!res.body) throw new LlmError('chat completion response has no body', 'UNAVAILABLE', true, { status: res.status });
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    const lines = new SseDataReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        for (const data of lines.push(value)) {
          if (data === '[DONE]') return;
          yield* chunksOf(data);
        }
      }
      for (const data of lines.push('\n\n')) {
        if (data === '[DONE]') return;
        yield* chunksOf(data);
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }
}

function* chunksOf(data: string): Generator<LlmChunk> {
  let json: {
    choices?: Array<{ delta?: { content?: string | null } }>;
    usage?: { prompt_tokens?: number; completion_tokens?: number; prompt_tokens_details?: { cached_tokens?: number } | null } | null;
    error?: { message?: string } | string;
  };
  try {
    json = JSON.parse(data);
  } catch {
    throw new LlmError(`malformed stream chunk: ${data.slice(0, 200)}`, 'UNAVAILABLE', true);
  }
  if (json.error) {
    const m = typeof json.error === 'string' ? json.error : (json.error.message ?? JSON.stringify(json.error));
    throw new LlmError(`server error in stream: ${m}`, 'UNAVAILABLE', true);
  }
  for (const c of json.choices ?? []) {
    const text = c.delta?.content;
    if (text) yield { type: 'delta', text };
  }
  if (json.usage) {
    const cached = json.usage.prompt_tokens_details?.cached_tokens;
    yield {
      type: 'usage',
      inputTokens: json.usage.prompt_tokens ?? 0,
      outputTokens: json.usage.completion_tokens ?? 0,
      ...(cached !== undefined ? { cacheReadTokens: cached } : {}),
    };
  }
}

/** Collects the `data:` payload of each server-sent event from decoded text. */
export class SseDataReader {
  private buf = '';
  private data: string[] = [];
  push(text: string): string[] {
    this.buf += text;
    const out: string[] = [];
    let nl: number;
    while ((nl = this.buf.search(/\r?\n|\r/)) >= 0) {
      const line = this.buf.slice(0, nl);
      const len = this.buf[nl] === '\r' && this.buf[nl + 1] === '\n' ? 2 : 1;
      // a lone trailing \r may be the first half of \r\n still in flight
      if (this.buf[nl] === '\r' && nl + 1 === this.buf.length) break;
      this.buf = this.buf.slice(nl + len);
      if (line === '') {
        if (this.data.length) out.push(this.data.join('\n'));
        this.data = [];
      } else if (line.startsWith('data:')) {
        this.data.push(line.slice(5).replace(/^ /, ''));
      }
      // "event:", "id:", "retry:" and ": comment" lines carry nothing we use
    }
    return out;
  }
}

function normalizeBaseUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new LlmError(`invalid baseUrl ${JSON.stringify(url)}`, 'BAD_REQUEST', false);
  }
  return u.toString().replace(/\/+$/, '').replace(/\/v1$/, '');
}

async function httpError(res: Response): Promise<LlmError> {
  let detail = '';
  try {
    detail = (await res.text()).slice(0, 500);
  } catch {
    // body unreadable: the status says enough
  }
  const msg = `HTTP ${res.status}${detail ? `: ${detail}` : ''}`;
  const status = res.status;
  const retryAfterMs = parseRetryAfter(res.headers.get('retry-after'));
  const opts = { status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) };
  if (status === 429) return new LlmError(msg, 'THROTTLED', true, opts);
  if (status === 408) return new LlmError(msg, 'TIMEOUT', true, opts);
  if (status >= 500) return new LlmError(msg, 'UNAVAILABLE', true, opts);
  if (status === 400 || status === 413 || status === 422) return new LlmError(msg, 'BAD_REQUEST', false, opts);
  // 401/403/404: this server cannot answer (wrong key, model not loaded); another one may
  return new LlmError(msg, 'UNAVAILABLE', false, opts);
}

export function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const s = Number(value);
  if (Number.isFinite(s) && s >= 0) return s * 1000;
  const t = Date.parse(value);
  return Number.isFinite(t) ? Math.max(0, t - Date.now()) : undefined;
}

function classifyFetchError(err: unknown): LlmError {
  if (err instanceof LlmError) return err;
  const e = err as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  const detail = e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err);
  if (e?.name === 'TimeoutError') return new LlmError(`request timed out: ${detail}`, 'TIMEOUT', true, { cause: err });
  return new LlmError(`request failed: ${detail}`, 'UNAVAILABLE', true, { cause: err });
}
