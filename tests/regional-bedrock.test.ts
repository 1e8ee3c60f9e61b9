/**
 * Bedrock generation (ConverseStream) and Titan embeddings against msw speaking Bedrock's wire
 * format: SigV4-signed JSON requests, AWS event-stream responses, `x-amzn-errortype` errors.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, describe, expect, it } from 'vitest';
import { BedrockTitanEmbedder } from '../regional/src/backends/bedrock-titan.ts';
import { BackendError } from '../regional/src/backends/types.ts';
import { BedrockBackend, type BedrockBackendConfig } from '../regional/src/llm/bedrock.ts';
import type { ResilienceEvent } from '../regional/src/llm/resilient-stream.ts';
import type { LlmError, LlmRequest } from '../regional/src/llm/types.ts';
import { collect, failure, FAST_RESILIENCE, firstDeltaGate } from './helpers/llm-stream.ts';
import { awsError, converseStream, event, exception, streamResponse } from './helpers/bedrock-wire.ts';
import { serveDuringTests } from './helpers/msw-server.ts';

const SMALL = 'anthropic.claude-3-5-haiku-20241022-v1:0';
const LARGE = 'anthropic.claude-3-5-sonnet-20241022-v2:0';
interface Hit {
  host: string;
  path: string;
  authorization: string;
  body: any;
}

type Responder = (hit: Hit, n: number) => Response | Promise<Response>;
let hits: Hit[] = [];
const responders = new Map<string, Responder>();

const server = setupServer(
  http.post('https://:host/model/:modelId/:op', async ({ request }) => {
    const url = new URL(request.url);
    const hit: Hit = { host: url.hostname, path: url.pathname, authorization: request.headers.get('authorization') ?? '', body: await request.json() };
    hits.push(hit);
    const region = url.hostname.split('.')[1];
    const r = responders.get(region);
    if (!r) return awsError(500, 'InternalServerException', `no responder for ${region}`);
    return r(hit, hits.filter((h) => h.host === hit.host).length);
  }),
);

serveDuringTests(server, () => {
  responders.clear();
  hits = [];
});

const backends: BedrockBackend[] = [];
function backend(over: Partial<BedrockBackendConfig> = {}): BedrockBackend {
  const b = new BedrockBackend({
    regions: ['eu-west-1'],
    models: { small: SMALL, large: LARGE },
    credentials: { accessKeyId: 'AKIDFAKEFORTESTS', secretAccessKey: 'fake-secret' },
    ...FAST_RESILIENCE,
    ...over,
  });
  backends.push(b);
  return b;
}
afterAll(() => backends.forEach((b) => b.destroy()));

const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({
  system: 'You are the Switchyard bookstore assistant. Answer from the passages.',
  messages: [{ role: 'user', content: 'When will my order of Berserk vol. 3 arrive?' }],
  maxTokens: 256,
  tier: 'small',
  ...over,
});

describe('BedrockBackend streaming', () => {
  it('yields each delta as it arrives, before the upstream has sent the rest', async () => {
    const g = firstDeltaGate();
    responders.set('eu-west-1', () => streamResponse(converseStream(['Your order ', 'ships ', 'tomorrow.'], { gate: g.gate, onRest: g.onRest, usage: { inputTokens: 900, outputTokens: 3, totalTokens: 903, cacheReadInputTokens: 850, cacheWriteInputTokens: 0 } })));
    const { chunks, restSentAtFirstDelta } = await g.readAll(backend().generate(request()));
    expect(restSentAtFirstDelta).toBe(false);
    expect(chunks[0]).toEqual({ type: 'meta', model: SMALL, region: 'eu-west-1' });
    expect(chunks.filter((c) => c.type === 'delta').map((c) => (c as { text: string }).text)).toEqual(['Your order ', 'ships ', 'tomorrow.']);
    expect(chunks.at(-1)).toEqual({ type: 'usage', inputTokens: 900, outputTokens: 3, cacheReadTokens: 850, cacheWriteTokens: 0 });
  });

  it('sends the system prompt with a cache point, maxTokens, passages in the user turn, and signs with the configured keys', async () => {
    responders.set('eu-west-1', () => streamResponse(converseStream(['ok'])));
    await collect(
      backend().generate(
        request({ maxTokens: 123, temperature: 0.2, context: [{ id: 'policy-shipping', title: 'Shipping', text: 'Orders ship within 2 business days.' }] }),
      ),
    );
    expect(hits).toHaveLength(1);
    const body = hits[0].body;
    expect(body.system).toEqual([{ text: request().system }, { cachePoint: { type: 'default' } }]);
    expect(body.inferenceConfig).toEqual({ maxTokens: 123, temperature: 0.2 });
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0].role).toBe('user');
    const turn = body.messages[0].content[0].text as string;
    expect(turn).toContain('<passage id="policy-shipping" title="Shipping">');
    expect(turn).toContain('Orders ship within 2 business days.');
    expect(turn.endsWith('When will my order of Berserk vol. 3 arrive?')).toBe(true);
    expect(hits[0].authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDFAKEFORTESTS\/\d{8}\/eu-west-1\/bedrock\/aws4_request/);
  });

  it('picks the model id by tier and puts it in the URL path', async () => {
    responders.set('eu-west-1', () => streamResponse(converseStream(['ok'])));
    const b = backend();
    const large = await collect(b.generate(request({ tier: 'large' })));
    await collect(b.generate(request({ tier: 'small' })));
    expect(hits.map((h) => decodeURIComponent(h.path))).toEqual([`/model/${LARGE}/converse-stream`, `/model/${SMALL}/converse-stream`]);
    expect(hits[0].path).toBe(`/model/${encodeURIComponent(LARGE)}/converse-stream`);
    expect(large.chunks[0]).toEqual({ type: 'meta', model: LARGE, region: 'eu-west-1' });
  });

  it('retries a 429 ThrottlingException with back-off and then streams the answer once', async () => {
    const events: ResilienceEvent[] = [];
    responders.set('eu-west-1', (_hit, n) => (n === 1 ? awsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.') : streamResponse(converseStream(['Hello', ' there']))));
    const { text } = await collect(backend({ onEvent: (e) => events.push(e) }).generate(request()));
    expect(text).toBe('Hello there');
    expect(hits).toHaveLength(2);
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'retry', key: `bedrock|eu-west-1|${SMALL}`, attempt: 1 });
    expect((events[0] as { error: LlmError }).error.code).toBe('THROTTLED');
  });

  it('fails over to the second region when the first keeps throttling', async () => {
    responders.set('us-east-1', () => awsError(429, 'ThrottlingException', 'Too many requests'));
    responders.set('us-west-2', () => streamResponse(converseStream(['from ', 'Oregon'])));
    const { chunks, text } = await collect(backend({ regions: ['us-east-1', 'us-west-2'], retries: 1 }).generate(request()));
    expect(text).toBe('from Oregon');
    expect(hits.map((h) => h.host)).toEqual([
      'bedrock-runtime.us-east-1.amazonaws.com',
      'bedrock-runtime.us-east-1.amazonaws.com',
      'bedrock-runtime.us-west-2.amazonaws.com',
    ]);
    expect(hits[2].authorization).toContain('/us-west-2/bedrock/aws4_request');
    expect(chunks.filter((c) => c.type === 'meta')).toEqual([{ type: 'meta', model: SMALL, region: 'us-west-2' }]);
  });

  it('never retries text that has streamed: a mid-stream exception is continued on the next region', async () => {
    responders.set('us-east-1', () =>
      streamResponse(
        new ReadableStream({
          start(c) {
            c.enqueue(event('messageStart', { role: 'assistant' }));
            c.enqueue(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partial ' } }));
            c.enqueue(exception('modelStreamErrorException', 'model stream broke'));
            c.close();
          },
        }),
      ),
    );
    responders.set('us-west-2', () => streamResponse(converseStream(['answer.'])));
    const { chunks, text } = await collect(backend({ regions: ['us-east-1', 'us-west-2'] }).generate(request()));
    expect(text).toBe('Partial answer.');
    expect(chunks.find((c) => c.type === 'continued')).toMatchObject({ from: `bedrock|us-east-1|${SMALL}`, error: 'UNAVAILABLE' });
    expect(hits.map((h) => h.host)).toEqual(['bedrock-runtime.us-east-1.amazonaws.com', 'bedrock-runtime.us-west-2.amazonaws.com']);
    expect(hits[1].body.messages.at(-1)).toEqual({ role: 'assistant', content: [{ text: 'Partial' }] });
  });

  it('ends a mid-stream exception with the error when no region is left', async () => {
    responders.set('us-east-1', () =>
      streamResponse(
        new ReadableStream({
          start(c) {
            c.enqueue(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partial ' } }));
            c.enqueue(exception('modelStreamErrorException', 'model stream broke'));
            c.close();
          },
        }),
      ),
    );
    const { error, chunks } = await failure(backend({ regions: ['us-east-1'] }).generate(request()));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toContain('model stream broke');
    expect(chunks.filter((c) => c.type === 'delta')).toEqual([{ type: 'delta', text: 'Partial ' }]);
    expect(hits).toHaveLength(1);
  });

  it('turns an upstream that never answers into LlmError TIMEOUT', { timeout: 5_000 }, async () => {
    responders.set('eu-west-1', () => new Promise<Response>(() => {}));
    const { error, chunks } = await failure(backend({ firstTokenTimeoutMs: 150, totalTimeoutMs: 400 }).generate(request()));
    expect(error.code).toBe('TIMEOUT');
    expect(chunks).toEqual([]);
  });

  it('fails over to the next region when the first gives no token in time', { timeout: 5_000 }, async () => {
    responders.set('eu-west-1', () => new Promise<Response>(() => {}));
    responders.set('eu-central-1', () => streamResponse(converseStream(['Frankfurt'])));
    const { chunks, text } = await collect(backend({ regions: ['eu-west-1', 'eu-central-1'], firstTokenTimeoutMs: 150, totalTimeoutMs: 3_000 }).generate(request()));
    expect(text).toBe('Frankfurt');
    expect(chunks[0]).toEqual({ type: 'meta', model: SMALL, region: 'eu-central-1' });
  });

  it('does not retry or fail over on a ValidationException', async () => {
    responders.set('us-east-1', () => awsError(400, 'ValidationException', 'maxTokens exceeds model limit'));
    responders.set('us-west-2', () => streamResponse(converseStream(['no'])));
    const b = backend({ regions: ['us-east-1', 'us-west-2'] });
    const { error } = await failure(b.generate(request()));
    expect(error.code).toBe('BAD_REQUEST');
    expect(error.retryable).toBe(false);
    expect(hits).toHaveLength(1);
    expect(b.breakers.snapshot()[`bedrock|us-east-1|${SMALL}`].consecutiveFailures).toBe(0);
  });

  it('rejects a malformed request with BAD_REQUEST before any HTTP call', async () => {
    const { error } = await failure(backend().generate(request({ messages: [] })));
    expect(error.code).toBe('BAD_REQUEST');
    const second = await failure(backend().generate(request({ messages: [{ role: 'assistant', content: 'hi' }] })));
    expect(second.error.code).toBe('BAD_REQUEST');
    expect(hits).toHaveLength(0);
  });

  it('surfaces the caller aborting as ABORTED', { timeout: 5_000 }, async () => {
    responders.set('eu-west-1', () => new Promise<Response>(() => {}));
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 50);
    const { error } = await failure(backend().generate(request({ signal: ac.signal })));
    expect(error.code).toBe('ABORTED');
  });
});

describe('BedrockBackend circuit breaker', () => {
  it('opens after N consecutive failures, refuses without calling, half-opens after the cool-down and closes on success', async () => {
    let clock = 1_000_000;
    let healthy = false;
    responders.set('eu-west-1', () => (healthy ? streamResponse(converseStream(['back'])) : awsError(503, 'ServiceUnavailableException', 'Bedrock is unavailable')));
    const b = backend({ retries: 0, breaker: { failureThreshold: 2, cooldownMs: 30_000, now: () => clock } });
    const key = `bedrock|eu-west-1|${SMALL}`;

    expect((await failure(b.generate(request()))).error.code).toBe('UNAVAILABLE');
    expect(b.breakers.snapshot()[key]).toEqual({ state: 'closed', consecutiveFailures: 1 });
    expect((await failure(b.generate(request()))).error.code).toBe('UNAVAILABLE');
    expect(b.breakers.snapshot()[key].state).toBe('open');

    const refused = await failure(b.generate(request()));
    expect(refused.error.code).toBe('CIRCUIT_OPEN');
    expect(hits).toHaveLength(2);

    clock += 30_000;
    expect(b.breakers.snapshot()[key].state).toBe('half_open');
    // the trial fails: open again for another cool-down
    expect((await failure(b.generate(request()))).error.code).toBe('UNAVAILABLE');
    expect(hits).toHaveLength(3);
    expect(b.breakers.snapshot()[key].state).toBe('open');
    expect((await failure(b.generate(request()))).error.code).toBe('CIRCUIT_OPEN');
    expect(hits).toHaveLength(3);

    clock += 30_000;
    healthy = true;
    expect((await collect(b.generate(request()))).text).toBe('back');
    expect(b.breakers.snapshot()[key]).toEqual({ state: 'closed', consecutiveFailures: 0 });
    expect(hits).toHaveLength(4);
  });

  it('skips a region whose breaker is open and goes straight to the next', async () => {
    responders.set('us-east-1', () => awsError(500, 'InternalServerException', 'internal'));
    responders.set('us-west-2', () => streamResponse(converseStream(['west'])));
    const b = backend({ regions: ['us-east-1', 'us-west-2'], retries: 0, breaker: { failureThreshold: 1, cooldownMs: 60_000 } });
    expect((await collect(b.generate(request()))).text).toBe('west');
    hits = [];
    expect((await collect(b.generate(request()))).text).toBe('west');
    expect(hits.map((h) => h.host)).toEqual(['bedrock-runtime.us-west-2.amazonaws.com']);
  });
});

describe('BedrockTitanEmbedder', () => {
  const vec = (seed: number, d: number) => Array.from({ length: d }, (_, i) => Math.sin(seed * 31 + i) / 10);

  it('calls InvokeModel once per text with {inputText, dimensions, normalize} and returns vectors in order', async () => {
    let inFlight = 0;
    let maxInFlight = 0;
    responders.set('eu-west-1', async (hit) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((r) => setTimeout(r, 5));
      inFlight--;
      const seed = Number(/#(\d+)/.exec(hit.body.inputText)![1]);
      return HttpResponse.json({ embedding: vec(seed, 256), inputTextTokenCount: 4 });
    });
    const titan = new BedrockTitanEmbedder({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKEFORTESTS', secretAccessKey: 'x' }, dimensions: 256, concurrency: 3 });
    const texts = Array.from({ length: 7 }, (_, i) => `manga #${i}`);
    const out = await titan.embed(texts);
    titan.destroy();
    expect(out).toHaveLength(7);
    out.forEach((v, i) => {
      expect(v).toBeInstanceOf(Float32Array);
      expect(v[3]).toBeCloseTo(vec(i, 256)[3], 6);
    });
    expect(hits).toHaveLength(7);
    expect(decodeURIComponent(hits[0].path)).toBe('/model/amazon.titan-embed-text-v2:0/invoke');
    expect(hits[0].body).toEqual({ inputText: expect.stringMatching(/^manga #\d$/), dimensions: 256, normalize: true });
    expect(maxInFlight).toBeLessThanOrEqual(3);
    expect(maxInFlight).toBeGreaterThan(1);
    expect(titan.inputTokens).toBe(28);
  });

  it('retries throttling, then fails with a coded error on a wrong-sized answer', async () => {
    responders.set('eu-west-1', (_hit, n) => (n === 1 ? awsError(429, 'ThrottlingException', 'slow down') : HttpResponse.json({ embedding: [0.1, 0.2], inputTextTokenCount: 1 })));
    const titan = new BedrockTitanEmbedder({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKEFORTESTS', secretAccessKey: 'x' }, backoffBaseMs: 1, backoffCapMs: 2 });
    const err = await titan.embed(['one']).catch((e) => e);
    titan.destroy();
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('BAD_RESPONSE');
    expect(hits).toHaveLength(2);
  });

  it('times out a call that never answers', { timeout: 5_000 }, async () => {
    responders.set('eu-west-1', () => new Promise<Response>(() => {}));
    const titan = new BedrockTitanEmbedder({ region: 'eu-west-1', credentials: { accessKeyId: 'AKIDFAKEFORTESTS', secretAccessKey: 'x' }, timeoutMs: 150, retries: 0 });
    const err = await titan.embed(['one']).catch((e) => e);
    titan.destroy();
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('TIMEOUT');
  });
});
