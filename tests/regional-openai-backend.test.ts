/**
 * The OpenAI-compatible backend (vLLM, Ollama, …) against msw speaking the chat-completions
 * streaming wire format: `data: {...}` server-sent events, a usage chunk, `data: [DONE]`.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { describe, expect, it } from 'vitest';
import { OpenAICompatibleBackend, SseDataReader, type OpenAICompatibleConfig } from '../regional/src/llm/openai-compatible.ts';
import type { LlmRequest } from '../regional/src/llm/types.ts';
import { collect, failure, FAST_RESILIENCE, firstDeltaGate } from './helpers/llm-stream.ts';
import { serveDuringTests } from './helpers/msw-server.ts';

const enc = new TextEncoder();
const sse = (obj: unknown) => `data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`;
const delta = (content: string, model = 'qwen2.5:3b') => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model, choices: [{ index: 0, delta: { content }, finish_reason: null }] });
const usageChunk = { id: 'chatcmpl-1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 40, completion_tokens: 3, total_tokens: 43, prompt_tokens_details: { cached_tokens: 32 } } };

function completionStream(parts: string[], opts: { gate?: Promise<void>; onRest?: () => void; raw?: string[] } = {}): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(c) {
      c.enqueue(enc.encode(sse({ ...delta(''), choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })));
      c.enqueue(enc.encode(sse(delta(parts[0]))));
      if (opts.gate) await opts.gate;
      opts.onRest?.();
      for (const p of parts.slice(1)) c.enqueue(enc.encode(sse(delta(p))));
      for (const r of opts.raw ?? []) c.enqueue(enc.encode(r));
      c.enqueue(enc.encode(sse({ ...delta(''), choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] })));
      c.enqueue(enc.encode(sse(usageChunk)));
      c.enqueue(enc.encode(sse('[DONE]')));
      c.close();
    },
  });
}
const sseResponse = (body: ReadableStream<Uint8Array>) => new HttpResponse(body, { headers: { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } });

interface Hit {
  host: string;
  path: string;
  headers: Headers;
  body: any;
}
let hits: Hit[] = [];
const responders = new Map<string, (hit: Hit, n: number) => Response | Promise<Response>>();

const server = setupServer(
  http.post('http://:host/v1/chat/completions', async ({ request }) => {
    const url = new URL(request.url);
    const hit: Hit = { host: url.host, path: url.pathname, headers: request.headers, body: await request.json() };
    hits.push(hit);
    const r = responders.get(url.host);
    if (!r) return HttpResponse.json({ error: { message: 'no responder' } }, { status: 500 });
    return r(hit, hits.filter((h) => h.host === url.host).length);
  }),
);
serveDuringTests(server, () => {
  responders.clear();
  hits = [];
});

const backend = (over: Partial<OpenAICompatibleConfig> = {}) =>
  new OpenAICompatibleBackend({
    baseUrl: 'http://gpu-a.internal:8000',
    models: { small: 'qwen2.5:3b', large: 'qwen2.5:32b' },
    ...FAST_RESILIENCE,
    ...over,
  });

const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({
  system: 'You are the Switchyard bookstore assistant.',
  messages: [
    { role: 'user', content: 'Do you have One Piece?' },
    { role: 'assistant', content: 'Yes, volumes 1–105.' },
    { role: 'user', content: 'Is volume 100 in stock?' },
  ],
  maxTokens: 200,
  tier: 'small',
  ...over,
});

describe('OpenAICompatibleBackend', () => {
  it('yields deltas as they arrive, then usage from the include_usage chunk', async () => {
    const g = firstDeltaGate();
    responders.set('gpu-a.internal:8000', () => sseResponse(completionStream(['Volume 100 ', 'is ', 'in stock.'], { gate: g.gate, onRest: g.onRest })));
    const { chunks, restSentAtFirstDelta } = await g.readAll(backend().generate(request()));
    expect(restSentAtFirstDelta).toBe(false);
    expect(chunks[0]).toEqual({ type: 'meta', model: 'qwen2.5:3b' });
    expect(chunks.filter((c) => c.type === 'delta').map((c) => (c as { text: string }).text)).toEqual(['Volume 100 ', 'is ', 'in stock.']);
    expect(chunks.at(-1)).toEqual({ type: 'usage', inputTokens: 40, outputTokens: 3, cacheReadTokens: 32 });
  });

  it('sends the chat-completions request: model by tier, system first, stream with usage, max_tokens, bearer key', async () => {
    responders.set('gpu-a.internal:8000', () => sseResponse(completionStream(['ok'])));
    await collect(
      backend({ apiKey: 'sk-test-123' }).generate(request({ tier: 'large', temperature: 0.3, context: [{ id: 'sku-op-100', text: 'One Piece vol. 100: 4 in stock.' }] })),
    );
    expect(hits).toHaveLength(1);
    const { body, headers, path } = hits[0];
    expect(path).toBe('/v1/chat/completions');
    expect(headers.get('authorization')).toBe('Bearer sk-test-123');
    expect(body.model).toBe('qwen2.5:32b');
    expect(body.stream).toBe(true);
    expect(body.stream_options).toEqual({ include_usage: true });
    expect(body.max_tokens).toBe(200);
    expect(body.temperature).toBe(0.3);
    expect(body.messages.map((m: { role: string }) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(body.messages[0].content).toBe('You are the Switchyard bookstore assistant.');
    expect(body.messages[3].content).toContain('<passage id="sku-op-100">');
    expect(body.messages[3].content.endsWith('Is volume 100 in stock?')).toBe(true);
  });

  it('sends no Authorization header without a key, and accepts a baseUrl ending in /v1', async () => {
    responders.set('gpu-a.internal:8000', () => sseResponse(completionStream(['ok'])));
    const { text } = await collect(backend({ baseUrl: 'http://gpu-a.internal:8000/v1/' }).generate(request()));
    expect(text).toBe('ok');
    expect(hits[0].path).toBe('/v1/chat/completions');
    expect(hits[0].headers.get('authorization')).toBeNull();
  });

  it('parses events split across network chunks and CRLF line endings', async () => {
    const body = `data: ${JSON.stringify(delta('Hel'))}\r\n\r\n: keep-alive comment\r\n\r\ndata: ${JSON.stringify(delta('lo'))}\r\n\r\n${sse(usageChunk)}${sse('[DONE]')}`;
    responders.set('gpu-a.internal:8000', () =>
      sseResponse(
        new ReadableStream({
          start(c) {
            for (let i = 0; i < body.length; i += 7) c.enqueue(enc.encode(body.slice(i, i + 7)));
            c.close();
          },
        }),
      ),
    );
    const { text, chunks } = await collect(backend().generate(request()));
    expect(text).toBe('Hello');
    expect(chunks.filter((c) => c.type === 'usage')).toHaveLength(1);
  });

  it('retries a 429 (honouring Retry-After) and then answers once', async () => {
    responders.set('gpu-a.internal:8000', (_h, n) =>
      n === 1 ? HttpResponse.json({ error: { message: 'rate limited' } }, { status: 429, headers: { 'retry-after': '0' } }) : sseResponse(completionStream(['fine']))
    );
    const { text } = await collect(backend().generate(request()));
    expect(text).toBe('fine');
    expect(hits).toHaveLength(2);
  });

  it('fails over to the next server when the first keeps answering 503', async () => {
    responders.set('gpu-a.internal:8000', () => HttpResponse.json({ error: { message: 'overloaded' } }, { status: 503 }));
    responders.set('gpu-b.internal:8000', () => sseResponse(completionStream(['from B'])));
    const { text } = await collect(backend({ retries: 1, failover: [{ baseUrl: 'http://gpu-b.internal:8000', apiKey: 'sk-b' }] }).generate(request()));
    expect(text).toBe('from B');
    expect(hits.map((h) => h.host)).toEqual(['gpu-a.internal:8000', 'gpu-a.internal:8000', 'gpu-b.internal:8000']);
    expect(hits[2].headers.get('authorization')).toBe('Bearer sk-b');
  });

  it('does not retry a 400, and reports BAD_REQUEST', async () => {
    responders.set('gpu-a.internal:8000', () => HttpResponse.json({ error: { message: 'max_tokens too large' } }, { status: 400 }));
    const { error } = await failure(backend({ failover: [{ baseUrl: 'http://gpu-b.internal:8000' }] }).generate(request()));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.status).toBe(400);
    expect(error.message).toContain('max_tokens too large');
    expect(hits).toHaveLength(1);
  });

  it('ends with the error, without retrying, when the server fails after text has streamed', async () => {
    responders.set('gpu-a.internal:8000', () =>
      sseResponse(
        new ReadableStream({
          start(c) {
            c.enqueue(enc.encode(sse(delta('Half '))));
            c.enqueue(enc.encode(sse({ error: { message: 'CUDA out of memory' } })));
            c.close();
          },
        }),
      ),
    );
    const { error, chunks } = await failure(backend().generate(request()));
    expect(error.message).toContain('CUDA out of memory');
    expect(chunks.filter((c) => c.type === 'delta')).toEqual([{ type: 'delta', text: 'Half ' }]);
    expect(hits).toHaveLength(1);
  });

  it('turns a server that never answers into LlmError TIMEOUT', { timeout: 5_000 }, async () => {
    responders.set('gpu-a.internal:8000', () => new Promise<Response>(() => {}));
    const { error } = await failure(backend({ firstTokenTimeoutMs: 150, totalTimeoutMs: 400 }).generate(request()));
    expect(error.code).toBe('TIMEOUT');
  });

  it('times out a stream that stalls after its first token (total timeout)', { timeout: 5_000 }, async () => {
    responders.set('gpu-a.internal:8000', () =>
      sseResponse(
        new ReadableStream({
          start(c) {
            c.enqueue(enc.encode(sse(delta('Start'))));
          },
        }),
      ),
    );
    const { error, chunks } = await failure(backend({ firstTokenTimeoutMs: 150, totalTimeoutMs: 300 }).generate(request()));
    expect(error.code).toBe('TIMEOUT');
    expect(chunks.filter((c) => c.type === 'delta')).toHaveLength(1);
  });

  it('opens its circuit breaker after consecutive failures and half-opens after the cool-down', async () => {
    let clock = 0;
    let healthy = false;
    responders.set('gpu-a.internal:8000', () => (healthy ? sseResponse(completionStream(['up'])) : HttpResponse.json({ error: 'down' }, { status: 502 })));
    const b = backend({ retries: 0, breaker: { failureThreshold: 3, cooldownMs: 10_000, now: () => clock } });
    for (let i = 0; i < 3; i++) expect((await failure(b.generate(request()))).error.code).toBe('UNAVAILABLE');
    expect((await failure(b.generate(request()))).error.code).toBe('CIRCUIT_OPEN');
    expect(hits).toHaveLength(3);
    clock += 10_000;
    healthy = true;
    expect((await collect(b.generate(request()))).text).toBe('up');
    expect(Object.values(b.breakers.snapshot())[0]).toEqual({ state: 'closed', consecutiveFailures: 0 });
  });

  it('aborts the request when the consumer stops early, and counts the answer as a success', async () => {
    responders.set('gpu-a.internal:8000', () =>
      sseResponse(
        new ReadableStream({
          start(c) {
            c.enqueue(enc.encode(sse(delta('one '))));
          },
        }),
      ),
    );
    const signals: AbortSignal[] = [];
    const b = backend({
      fetch: (input, init) => {
        signals.push(init!.signal!);
        return fetch(input, init);
      },
    });
    for await (const c of b.generate(request())) if (c.type === 'delta') break;
    expect(signals).toHaveLength(1);
    expect(signals[0].aborted).toBe(true);
    expect(Object.values(b.breakers.snapshot())[0]).toEqual({ state: 'closed', consecutiveFailures: 0 });
  });
});

describe('SseDataReader', () => {
  it('joins multi-line data and waits for the blank line', () => {
    const r = new SseDataReader();
    expect(r.push('data: {"a":\n')).toEqual([]);
    expect(r.push('data: 1}\n')).toEqual([]);
    expect(r.push('\n')).toEqual(['{"a":\n1}']);
    expect(r.push('event: x\r\ndata: [DONE]\r')).toEqual([]);
    expect(r.push('\n\r\n')).toEqual(['[DONE]']);
  });
});
