/**
 * Mid-stream failover in the region: an LLM stream cut mid-answer (msw at the HTTP boundary,
 * Bedrock's event-stream and OpenAI's SSE wire formats) is continued on the next target, which is
 * given the text so far as its prefill; the caller gets one answer with no repeat at the seam, and
 * `/v1/generate` marks it `midstream_failover` (done event and metrics). Also the seam rule itself
 * and the `continuation` wire field (honoured from the edge's key only).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { BedrockBackend } from '../regional/src/llm/bedrock.ts';
import { OpenAICompatibleBackend } from '../regional/src/llm/openai-compatible.ts';
import { CONTINUE_INSTRUCTION } from '../regional/src/llm/request-messages.ts';
import { newTextAfter, SeamFilter } from '../regional/src/llm/seam.ts';
import type { LlmRequest } from '../regional/src/llm/types.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { converseStream, event, streamResponse } from './helpers/bedrock-wire.ts';
import { collect, failure, FAST_RESILIENCE } from './helpers/llm-stream.ts';

const enc = new TextEncoder();
const sse = (obj: unknown) => enc.encode(`data: ${typeof obj === 'string' ? obj : JSON.stringify(obj)}\n\n`);
const delta = (content: string) => ({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });

/**
 * A body that sends `frames` one per read and then has its connection cut. Pulled, not queued:
 * erroring a stream drops what is still queued, and the cut must come after the text was read.
 */
function cutAfter(frames: Uint8Array[]): ReadableStream<Uint8Array> {
  let i = 0;
  return new ReadableStream<Uint8Array>(
    {
      async pull(c) {
        if (i < frames.length) return c.enqueue(frames[i++]);
        await new Promise((r) => setTimeout(r, 30));
        c.error(new TypeError('terminated: other side closed'));
      },
    },
    { highWaterMark: 0 },
  );
}

/** An SSE answer that sends `parts` and then either finishes or has its connection cut. */
function completion(parts: string[], cut = false): Response {
  const body = cut
    ? cutAfter(parts.map((p) => sse(delta(p))))
    : new ReadableStream<Uint8Array>({
        start(c) {
          for (const p of parts) c.enqueue(sse(delta(p)));
          c.enqueue(sse({ choices: [], usage: { prompt_tokens: 50, completion_tokens: 9 } }));
          c.enqueue(sse('[DONE]'));
          c.close();
        },
      });
  return new HttpResponse(body, { headers: { 'content-type': 'text/event-stream' } });
}

type Responder = (body: any) => Response;
const responders = new Map<string, Responder>();
const bodies = new Map<string, any[]>();
const server = setupServer(
  http.post('https://:host/model/:modelId/:op', async ({ request }) => hit(new URL(request.url).hostname.split('.')[1], await request.json())),
  http.post('http://:host/v1/chat/completions', async ({ request }) => hit(new URL(request.url).hostname, await request.json())),
);
function hit(target: string, body: any): Response {
  bodies.set(target, [...(bodies.get(target) ?? []), body]);
  const r = responders.get(target);
  return r ? r(body) : HttpResponse.json({ error: { message: `no responder for ${target}` } }, { status: 500 });
}
beforeAll(() => server.listen({ onUnhandledRequest: 'bypass' }));
afterAll(() => server.close());
const reset = () => {
  responders.clear();
  bodies.clear();
};

const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({
  system: 'You are the store assistant.',
  messages: [{ role: 'user', content: 'How long does shipping to Alaska take?' }],
  maxTokens: 200,
  tier: 'small',
  ...over,
});

describe('the seam', () => {
  it('removes the longest repeat of the end, keeps a true continuation whole and ignores coincidences', () => {
    expect(newTextAfter('Shipping to Alaska takes', 'to Alaska takes 5 days.')).toBe(' 5 days.');
    expect(newTextAfter('Shipping to Alaska takes', ' 5 days.')).toBe(' 5 days.');
    expect(newTextAfter('It costs $12.99. ', ' Orders ship in 2 days.')).toBe('Orders ship in 2 days.');
    // "s" and "s " are coincidence (shorter than 4 characters), not a repeat
    expect(newTextAfter('The price is', 's now lower.')).toBe('s now lower.');
    // the whole answer again, then more
    expect(newTextAfter('Yes.', 'Yes. And no.')).toBe(' And no.');
  });

  it('holds the start back only while it could still be a repeat', () => {
    const s = new SeamFilter('Standard shipping to Alaska takes ');
    expect(s.push('to Alas')).toBe(''); // occurs in the text so far: wait
    expect(s.push('ka takes 5')).toBe('5');
    expect(s.push(' to 10 days.')).toBe(' to 10 days.');
    const fresh = new SeamFilter('It costs $12.99.');
    expect(fresh.push(' Delivery')).toBe(' Delivery'); // cannot be a repeat: passes at once
    const repeat = new SeamFilter('All of it.');
    expect(repeat.push('All of it.')).toBe('');
    expect(repeat.end()).toBe('');
  });
});

describe('Bedrock ConverseStream cut mid-answer', () => {
  const clients: BedrockRuntimeClient[] = [];
  afterAll(() => clients.forEach((c) => c.destroy()));
  const client = (region: string) => {
    const c = new BedrockRuntimeClient({
      region,
      credentials: { accessKeyId: 'AKIDFAKEFORTESTS', secretAccessKey: 'fake-secret' },
      requestHandler: new NodeHttpHandler(),
    });
    clients.push(c);
    return c;
  };

  it('continues on the next region with the text so far as a final assistant message', async () => {
    reset();
    responders.set('us-east-1', () =>
      streamResponse(
        cutAfter([
          event('messageStart', { role: 'assistant' }),
          event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Standard shipping to Alaska ' } }),
          event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'takes 5 to ' } }),
        ]),
      ),
    );
    // The second region repeats a few words before it goes on: removed at the seam.
    responders.set('us-west-2', () => streamResponse(converseStream(['5 to 10 business ', 'days.'])));
    const b = new BedrockBackend({
      regions: ['us-east-1', 'us-west-2'],
      models: { small: 'anthropic.claude-3-5-haiku-20241022-v1:0', large: 'anthropic.claude-3-5-sonnet-20241022-v2:0' },
      clients: { 'us-east-1': client('us-east-1'), 'us-west-2': client('us-west-2') },
      ...FAST_RESILIENCE,
    });
    const { chunks, text } = await collect(b.generate(request()));
    expect(text).toBe('Standard shipping to Alaska takes 5 to 10 business days.');
    // Cut before its metadata event: its usage is unreported, so its lengths go with the seam.
    expect(chunks.filter((c) => c.type === 'continued')).toEqual([
      { type: 'continued', from: 'bedrock|us-east-1|anthropic.claude-3-5-haiku-20241022-v1:0', error: 'UNAVAILABLE', unreported: { prefillChars: 0, outputChars: 'Standard shipping to Alaska takes 5 to '.length } },
    ]);
    expect(chunks.filter((c) => c.type === 'meta')).toHaveLength(1); // one answer, started by us-east-1
    const continued = bodies.get('us-west-2')!;
    expect(continued).toHaveLength(1); // never the same text again on us-east-1
    expect(bodies.get('us-east-1')).toHaveLength(1);
    expect(continued[0].messages.at(-1)).toEqual({ role: 'assistant', content: [{ text: 'Standard shipping to Alaska takes 5 to' }] });
    expect(continued[0].messages.at(-2).role).toBe('user');
  });

  it('ends with the error when no region is left to continue on', async () => {
    reset();
    responders.set('us-east-1', () =>
      streamResponse(cutAfter([event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: 'Partial ' } })])),
    );
    const b = new BedrockBackend({
      regions: ['us-east-1'],
      models: { small: 'm-small', large: 'm-large' },
      clients: { 'us-east-1': client('us-east-1') },
      ...FAST_RESILIENCE,
    });
    const { chunks } = await failure(b.generate(request()));
    expect(chunks.filter((c) => c.type === 'delta')).toEqual([{ type: 'delta', text: 'Partial ' }]);
    expect(bodies.get('us-east-1')).toHaveLength(1);
  });
});

describe('OpenAI-compatible SSE cut mid-answer', () => {
  const oai = (continuation?: 'continue_final_message' | 'instruction') =>
    new OpenAICompatibleBackend({
      baseUrl: 'http://gpu-a.test',
      failover: [{ baseUrl: 'http://gpu-b.test', ...(continuation ? { continuation } : {}) }],
      models: { small: 'qwen2.5:3b', large: 'qwen2.5:32b' },
      ...FAST_RESILIENCE,
    });

  it("uses vLLM's continue_final_message when the server has it", async () => {
    reset();
    responders.set('gpu-a.test', () => completion(['Standard shipping ', 'to Alaska takes '], true));
    responders.set('gpu-b.test', () => completion(['5 to 10 ', 'business days.']));
    const { chunks, text } = await collect(oai('continue_final_message').generate(request()));
    expect(text).toBe('Standard shipping to Alaska takes 5 to 10 business days.');
    expect(chunks.some((c) => c.type === 'continued')).toBe(true);
    const b = bodies.get('gpu-b.test')![0];
    expect(b).toMatchObject({ continue_final_message: true, add_generation_prompt: false });
    expect(b.messages.at(-1)).toEqual({ role: 'assistant', content: 'Standard shipping to Alaska takes' });
  });

  it('else asks the next server to continue exactly, and removes what it repeats', async () => {
    reset();
    responders.set('gpu-a.test', () => completion(['Standard shipping ', 'to Alaska takes '], true));
    responders.set('gpu-b.test', () => completion(['to Alaska ', 'takes 5 to 10 ', 'business days.']));
    const { text } = await collect(oai().generate(request()));
    expect(text).toBe('Standard shipping to Alaska takes 5 to 10 business days.');
    const b = bodies.get('gpu-b.test')![0];
    expect(b.continue_final_message).toBeUndefined();
    expect(b.messages.slice(-2)).toEqual([
      { role: 'assistant', content: 'Standard shipping to Alaska takes' },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);
  });
});

describe('/v1/generate with a server cut mid-answer', () => {
  let dir: string;
  let r: RunningRegional;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'sy-midstream-'));
    r = await startRegional(
      loadConfig({
        PORT: '0',
        DATABASE_URL: join(dir, 'r.db'),
        LLM_BACKEND: 'openai',
        OPENAI_BASE_URL: 'http://gpu-a.test',
        OPENAI_FAILOVER_URLS: 'http://gpu-b.test',
        LLM_FIRST_TOKEN_TIMEOUT_MS: '5000',
        CLASSIFY_TIMEOUT_MS: '5000',
      }),
      () => {},
    );
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
  const ADMIN = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
  const generate = async (body: object, headers: Record<string, string> = EDGE) =>
    (await (await fetch(`${r.url}/v1/generate`, { method: 'POST', headers, body: JSON.stringify(body) })).json()) as { route: any; text: string; done: any };
  const counter = async () => Number((await (await fetch(`${r.url}/metrics`)).text()).match(/switchyard_fallbacks_total\{kind="midstream_failover"\} (\d+)/)?.[1] ?? 0);
  /** Tokens in and out: the edge key's usage today (quota accounting) and the LLM token counters (metrics), summed over generators. */
  const accounted = async () => {
    const u = await (await fetch(`${r.url}/v1/usage`, { headers: EDGE })).json();
    const text = await (await fetch(`${r.url}/metrics`)).text();
    const metric = (dir: string) => [...text.matchAll(new RegExp(`^switchyard_llm_tokens_total\\{direction="${dir}",[^}]*\\} (\\d+)`, 'gm'))].reduce((n, m) => n + Number(m[1]), 0);
    return { quotaIn: u.tokensIn as number, quotaOut: u.tokensOut as number, metricIn: metric('in'), metricOut: metric('out') };
  };
  /** Waits until the turn's accounting (recorded after the response) has moved past `before`. */
  const accountedAfter = async (before: Awaited<ReturnType<typeof accounted>>) => {
    for (let i = 0; i < 100; i++) {
      const now = await accounted();
      if (now.quotaIn !== before.quotaIn && now.metricIn !== before.metricIn) return now;
      await new Promise((res) => setTimeout(res, 50));
    }
    return accounted();
  };

  it('gives one seamless answer marked midstream_failover, guarded as a whole', async () => {
    reset();
    responders.set('gpu-a.test', () => completion(['Standard shipping ', 'to Alaska takes 5 '], true));
    responders.set('gpu-b.test', () => completion(['takes 5 to 10 business days ', 'and costs $12.99.']));
    const before = await counter();
    const tokensBefore = await accounted();
    const res = await generate({ message: 'how much is shipping to alaska and how long does it take?', sessionId: 'mid-1' });
    expect(res.text).toBe('Standard shipping to Alaska takes 5 to 10 business days and costs $12.99.');
    expect(res.done.fallbacks).toContain('midstream_failover');
    expect(res.done.fallbacks).not.toContain('guardrail_removed_sentences');
    expect(res.done.cacheable).toBe(false); // a stitched answer is not shared
    expect(await counter()).toBe(before + 1);
    expect(bodies.get('gpu-b.test')![0].messages.at(-2)).toEqual({ role: 'assistant', content: 'Standard shipping to Alaska takes 5' });

    // The whole answer's usage: gpu-a, cut before its usage chunk, estimated from its text and
    // prompt; gpu-b as it reported it; summed in done.usage, the metrics and the key's quota.
    const { usage } = res.done;
    expect(usage.parts).toHaveLength(2);
    const [cut, continuation] = usage.parts;
    expect(cut).toMatchObject({ estimated: true, outputTokens: Math.ceil('Standard shipping to Alaska takes 5 '.length / 4) });
    expect(cut.inputTokens).toBeGreaterThan(50); // the system prompt, the passages and the question
    expect(continuation).toEqual({ inputTokens: 50, outputTokens: 9 });
    expect(usage.inputTokens).toBe(cut.inputTokens + 50);
    expect(usage.outputTokens).toBe(cut.outputTokens + 9);
    const tokensAfter = await accountedAfter(tokensBefore);
    expect(tokensAfter.quotaIn - tokensBefore.quotaIn).toBe(usage.inputTokens);
    expect(tokensAfter.quotaOut - tokensBefore.quotaOut).toBe(usage.outputTokens);
    expect(tokensAfter.metricIn - tokensBefore.metricIn).toBe(usage.inputTokens);
    expect(tokensAfter.metricOut - tokensBefore.metricOut).toBe(usage.outputTokens);
  });

  it("continues the edge's text (continuation) from the edge's key only", async () => {
    reset();
    responders.set('gpu-a.test', () => completion(['Standard shipping to Alaska takes 5 to 10 business days ', 'and costs $12.99.']));
    const sent = 'Standard shipping to Alaska takes 5 to 10 business days';
    const body = { message: 'how much is shipping to alaska and how long does it take?', sessionId: 'mid-2', continuation: { text: sent } };
    const fromEdge = await generate(body);
    expect(fromEdge.text).toBe(' and costs $12.99.'); // only the new text; the repeat is removed at the seam
    expect(fromEdge.done.fallbacks).toContain('midstream_failover');
    // The region that wrote `sent` died before it reported its tokens: its part is estimated here.
    expect(fromEdge.done.usage.parts).toEqual([
      { inputTokens: expect.any(Number), outputTokens: Math.ceil(sent.length / 4), estimated: true },
      { inputTokens: 50, outputTokens: 9 },
    ]);
    expect(fromEdge.done.usage.outputTokens).toBe(Math.ceil(sent.length / 4) + 9);
    expect(bodies.get('gpu-a.test')![0].messages.slice(-2)).toEqual([
      { role: 'assistant', content: sent },
      { role: 'user', content: CONTINUE_INSTRUCTION },
    ]);

    const issued = await (await fetch(`${r.url}/v1/admin/keys`, { method: 'POST', headers: ADMIN, body: JSON.stringify({ name: 'continuing-partner', rateLimitPerMinute: 100, dailyTokenQuota: null }) })).json();
    const fromPartner = await generate({ ...body, sessionId: 'mid-3' }, { ...EDGE, authorization: `Bearer ${issued.key}` });
    expect(fromPartner.text).toBe('Standard shipping to Alaska takes 5 to 10 business days and costs $12.99.');
    expect(fromPartner.done.fallbacks ?? []).not.toContain('midstream_failover');
    expect(fromPartner.done.usage).toEqual({ inputTokens: 50, outputTokens: 9 }); // one target, no parts
    expect(bodies.get('gpu-a.test')![1].messages.at(-1).role).toBe('user');
    expect(bodies.get('gpu-a.test')![1].messages.at(-1).content).not.toBe(CONTINUE_INSTRUCTION);
  });

  it('refuses a malformed continuation with 400', async () => {
    const res = await fetch(`${r.url}/v1/generate`, { method: 'POST', headers: EDGE, body: JSON.stringify({ message: 'hi', sessionId: 'mid-4', continuation: { text: '' } }) });
    expect(res.status).toBe(400);
    expect((await res.json()).error.code).toBeTruthy();
  });
});
