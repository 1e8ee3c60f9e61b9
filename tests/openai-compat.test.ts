/**
 * The OpenAI- and Cohere-compatible APIs through the official client packages, unchanged, against
 * the real tiers: the edge Worker in workerd in front of the real regional service. The README's
 * snippets (docs/examples) are the code under test where they apply.
 */
import { readFileSync } from 'node:fs';
import { CohereClientV2 } from 'cohere-ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningRegional } from '../regional/src/server.ts';
import type { EdgeProcess } from '../scripts/edge-process.ts';
import { askOnce, askStreaming } from '../docs/examples/openai-chat.ts';
import { embed } from '../docs/examples/openai-embeddings.ts';
import { langchainChat, langchainEmbed } from '../docs/examples/langchain.ts';
import { rerankV1, rerankV2 } from '../docs/examples/cohere-rerank.ts';
import { aiSdkAnswer, aiSdkStream } from '../docs/examples/ai-sdk.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import type { SwitchProxy } from './helpers/switch-proxy.ts';

let stack: EdgeStack;
let regional: RunningRegional;
let proxy: SwitchProxy;
let edge: EdgeProcess;

beforeAll(async () => {
  ({ regional, proxy, edge } = stack = await startEdgeStack('sy-compat-', 20000));
}, 240_000);

afterAll(async () => {
  await stack?.close();
});

const edgeClient = () => new OpenAI({ baseURL: `${edge.url}/v1`, apiKey: 'unused', maxRetries: 0 });
const regionClient = (apiKey = 'dev-edge-key') => new OpenAI({ baseURL: `${regional.url}/v1`, apiKey, maxRetries: 0 });

describe('OpenAI chat completions at the edge', () => {
  it('answers a template question at the edge with zero LLM tokens, never calling the region', async () => {
    const before = proxy.connections;
    const c = await askOnce(edge.url, 'what is your return policy?');
    expect(c.object).toBe('chat.completion');
    expect(c.model).toBe('switchyard/template');
    expect(c.choices[0].message.content).toMatch(/30 days/);
    expect(c.choices[0].finish_reason).toBe('stop');
    expect(c.usage).toMatchObject({ prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 });
    const sy = (c as unknown as { switchyard: Record<string, any> }).switchyard;
    expect(sy).toMatchObject({ path: 'template', intent: 'return_policy', requested_model: 'switchyard', cache: null });
    expect(sy.confidence).toBeGreaterThanOrEqual(sy.thresholds.intent_route);
    expect(sy.thresholds.cache_hit).toBeGreaterThan(sy.thresholds.cache_stale);
    const raw = await edgeClient().chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hello!' }] }).withResponse();
    expect(raw.response.headers.get('x-switchyard-route')).toBe('template');
    expect(proxy.connections).toBe(before);
  });

  it('streams an LLM-path answer from the region as chat.completion.chunks with usage last', async () => {
    const before = proxy.connections;
    const r = await askStreaming(edge.url, [{ role: 'user', content: 'can you recommend a dark fantasy manga like berserk?' }]);
    expect(r.model).toBe('region/extractive');
    expect(r.text.length).toBeGreaterThan(20);
    expect(r.usage).toBeTruthy();
    expect(proxy.connections).toBeGreaterThan(before);
    // The wire: role chunk first, [DONE] last, usage only in the chunk with no choices.
    const res = await fetch(`${edge.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'x', stream: true, stream_options: { include_usage: true }, messages: [{ role: 'user', content: 'which isekai light novels do you recommend?' }] }),
    });
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    expect(res.headers.get('x-switchyard-route')).toBe('llm');
    const frames = (await res.text()).split('\n\n').filter(Boolean).map((f) => f.replace(/^data: /, ''));
    expect(frames.at(-1)).toBe('[DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f));
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    expect(chunks.at(-2).choices[0].finish_reason).toBe('stop');
    expect(chunks.at(-1)).toMatchObject({ choices: [], usage: { total_tokens: expect.any(Number) } });
    expect(chunks.slice(0, -1).every((c) => c.usage === null)).toBe(true);
  });

  it('reuses its connection to the region from one streamed answer to the next', async () => {
    const ask = () => askStreaming(edge.url, [{ role: 'user', content: 'which isekai light novels do you recommend?' }]);
    await ask();
    const before = proxy.connections;
    for (let i = 0; i < 4; i++) expect((await ask()).model).toBe('region/extractive');
    // Four answers, each a request to the region: a new TCP connection for each would be 4.
    expect(proxy.connections - before).toBeLessThanOrEqual(1);
  });

  it('classifies the last user message with the earlier turns as history', async () => {
    const c = await edgeClient().chat.completions.create({
      model: 'switchyard',
      messages: [
        { role: 'user', content: 'do you ship to canada?' },
        { role: 'assistant', content: 'Yes, we ship to Canada.' },
        { role: 'user', content: 'thanks!' },
      ],
    });
    expect((c as unknown as { switchyard: { intent: string } }).switchyard.intent).not.toBe('shipping_info');
    expect(c.choices[0].message.content!.length).toBeGreaterThan(0);
    // A follow-up is classified in the context of the earlier turns (the edge's resolver).
    const alone = await edgeClient().chat.completions.create({ model: 's', messages: [{ role: 'user', content: 'and to hawaii?' }] });
    const followUp = await edgeClient().chat.completions.create({
      model: 's',
      messages: [
        { role: 'user', content: 'how much does shipping to alaska cost?' },
        { role: 'assistant', content: 'Alaska and Hawaii ship at a flat rate.' },
        { role: 'user', content: 'and to hawaii?' },
      ],
    });
    const sy = (x: unknown) => (x as { switchyard: { intent: string; resolved: { text: string; carried: string[] } | null } }).switchyard;
    expect(sy(alone).resolved?.carried ?? []).toEqual([]);
    expect(sy(followUp).intent).toBe('shipping_info');
    expect(sy(followUp).resolved!.carried.length).toBeGreaterThan(0);
    expect(sy(followUp).resolved!.text).toMatch(/hawaii/i);
    // A follow-up on the LLM path streams with its history (mapping: tests/openai-mapping.test.ts).
    const follow = await askStreaming(edge.url, [
      { role: 'user', content: 'I loved frieren' },
      { role: 'assistant', content: 'Frieren is a wonderful series.' },
      { role: 'user', content: 'what should I read after frieren?' },
    ]);
    expect(follow.model).toBe('region/extractive');
    expect(follow.text.length).toBeGreaterThan(20);
  });

  it('honours max_tokens and stop with finish_reason', async () => {
    const long = await edgeClient().chat.completions.create({ model: 's', max_tokens: 3, messages: [{ role: 'user', content: 'what is your return policy?' }] });
    expect(long.choices[0].finish_reason).toBe('length');
    expect(long.choices[0].message.content!.length).toBeLessThanOrEqual(12);
    const full = await edgeClient().chat.completions.create({ model: 's', messages: [{ role: 'user', content: 'what is your return policy?' }] });
    const word = full.choices[0].message.content!.split(/\s+/)[3];
    const stopped = await edgeClient().chat.completions.create({ model: 's', stop: [word], messages: [{ role: 'user', content: 'what is your return policy?' }] });
    expect(stopped.choices[0].finish_reason).toBe('stop');
    expect(stopped.choices[0].message.content).toBe(full.choices[0].message.content!.slice(0, full.choices[0].message.content!.indexOf(word)));
  });

  it('refuses unsupported parameters and bad messages with 400 in OpenAI error shape, naming the param', async () => {
    const bad = async (body: Record<string, unknown>, param: string) => {
      const err = await edgeClient()
        .chat.completions.create({ model: 's', messages: [{ role: 'user', content: 'hi' }], ...body } as never)
        .then(() => null, (e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      const e = err as InstanceType<typeof OpenAI.BadRequestError>;
      expect(e.status).toBe(400);
      expect(e.param).toBe(param);
      expect(e.type).toBe('invalid_request_error');
      expect(typeof e.code).toBe('string');
    };
    await bad({ tools: [{ type: 'function', function: { name: 'f', parameters: {} } }] }, 'tools');
    await bad({ n: 2 }, 'n');
    await bad({ logprobs: true }, 'logprobs');
    await bad({ response_format: { type: 'json_schema', json_schema: { name: 'x', schema: {} } } }, 'response_format');
    await bad({ frobnicate: 1 }, 'frobnicate');
    await bad({ temperature: 3 }, 'temperature');
    await bad({ messages: [{ role: 'tool', content: 'x', tool_call_id: 't' }, { role: 'user', content: 'hi' }] }, 'messages[0].role');
    await bad({ messages: [{ role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }] }, 'messages');
    await bad({ messages: [{ role: 'user', content: [{ type: 'image_url', image_url: { url: 'https://x/y.png' } }] }] }, 'messages[0].content[0].type');
    await bad({ messages: [{ role: 'user', content: '   ' }] }, 'messages[0].content');
    await bad({ messages: [] }, 'messages');
    // A system message is the caller's instructions (for the LLM only): a template question is still answered at the edge.
    const instructed = await edgeClient().chat.completions.create({ model: 's', messages: [{ role: 'system', content: 'be a pirate' }, { role: 'user', content: 'what is your return policy?' }] });
    expect(instructed.model).toBe('switchyard/template');
    // n = 1, tool_choice "none" and text response_format ask for nothing and are accepted.
    const ok = await edgeClient().chat.completions.create({ model: 's', n: 1, tool_choice: 'none', response_format: { type: 'text' }, messages: [{ role: 'user', content: 'hello' }] });
    expect(ok.choices).toHaveLength(1);
    const res = await fetch(`${edge.url}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"model": ' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { type: 'invalid_request_error', code: 'invalid_json', param: null } });
  });
});

describe('OpenAI chat completions at the region (partners)', () => {
  it('answers with the partner key, counts usage and refuses without one', async () => {
    const admin = { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' };
    const issued = await (await fetch(`${regional.url}/v1/admin/keys`, { method: 'POST', headers: admin, body: JSON.stringify({ name: 'compat partner', rateLimitPerMinute: 100 }) })).json();
    const partner = regionClient(issued.key);
    const c = await partner.chat.completions.create({ model: 'any', messages: [{ role: 'user', content: 'which manga would you recommend for a beginner?' }] });
    expect(c.model).toMatch(/^region\//);
    expect(c.choices[0].message.content!.length).toBeGreaterThan(10);
    // The thresholds of the region's own classifier, as the edge reports its own (no cache path here).
    const sy = (c as unknown as { switchyard: { model_version: string; confidence: number; thresholds: Record<string, number> } }).switchyard;
    const clf = JSON.parse(readFileSync('models/default/store-intent/config.json', 'utf8')).switchyard;
    expect(sy.model_version).toMatch(/@/);
    expect(sy.thresholds).toMatchObject({ intent_route: clf.routeThreshold, intent_oos: clf.oosThreshold });
    expect(sy.thresholds.intent_route).toBeGreaterThan(sy.thresholds.intent_oos);
    expect(sy.thresholds.cache_hit).toBeUndefined();
    const usage = await (await fetch(`${regional.url}/v1/usage`, { headers: { authorization: `Bearer ${issued.key}` } })).json();
    expect(usage.requests).toBe(1);
    expect(usage.tokensOut).toBeGreaterThan(0);
    const stream = await partner.chat.completions.create({ model: 'any', stream: true, messages: [{ role: 'user', content: 'do you ship to canada?' }] });
    let text = '';
    for await (const ch of stream) text += ch.choices[0]?.delta?.content ?? '';
    expect(text.length).toBeGreaterThan(10);
    const err = await regionClient('sy_nope').chat.completions.create({ model: 'x', messages: [{ role: 'user', content: 'hi' }] }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.AuthenticationError);
    expect((err as InstanceType<typeof OpenAI.AuthenticationError>).code).toBe('invalid_api_key');
  });
});

describe('models in OpenAI list shape', () => {
  it('lists the router and the serving models on both tiers, keeping the edge versions and refresh state', async () => {
    const edgeIds: string[] = [];
    for await (const m of edgeClient().models.list()) edgeIds.push(m.id);
    expect(edgeIds[0]).toBe('switchyard');
    const body = await (await fetch(`${edge.url}/v1/models`)).json();
    expect(body.object).toBe('list');
    const clf = body.models.find((m: { role: string }) => m.role === 'intent-classifier');
    expect(edgeIds).toContain(`${clf.name}@${clf.version}`);
    expect(body.refresh).toMatchObject({ enabled: false });
    const one = await edgeClient().models.retrieve(`${clf.name}@${clf.version}`);
    expect((one as unknown as { switchyard: { sha256: string } }).switchyard.sha256).toBe(clf.sha256);
    await expect(edgeClient().models.retrieve('gpt-4o')).rejects.toBeInstanceOf(OpenAI.NotFoundError);

    const regionIds: string[] = [];
    for await (const m of regionClient().models.list()) regionIds.push(m.id);
    expect(regionIds[0]).toBe('switchyard');
    expect(regionIds.length).toBeGreaterThanOrEqual(4);
    await expect(regionClient('sy_nope').models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });
});

describe('embeddings', () => {
  const norm = (v: number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
  it('embeds with the SDK (base64 on the wire by default) and as floats, the same vectors', async () => {
    const [a] = await embed(regional.url, 'dev-edge-key', ['do you ship to alaska']);
    const floats = await regionClient().embeddings.create({ model: 'm', input: 'do you ship to alaska', encoding_format: 'float' });
    expect(a).toHaveLength(floats.data[0].embedding.length);
    a.forEach((x, i) => expect(x).toBeCloseTo(floats.data[0].embedding[i], 6));
  });

  it('honours dimensions: the leading dimensions at unit length', async () => {
    const [full] = await embed(regional.url, 'dev-edge-key', ['berserk deluxe edition']);
    const [short] = await embed(regional.url, 'dev-edge-key', ['berserk deluxe edition'], 32);
    expect(short).toHaveLength(32);
    expect(norm(short)).toBeCloseTo(1, 5);
    const head = full.slice(0, 32);
    short.forEach((x, i) => expect(x).toBeCloseTo(head[i] / norm(head), 5));
    const err = await regionClient().embeddings.create({ model: 'm', input: 'x', dimensions: 4096 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(OpenAI.BadRequestError);
    expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe('dimensions');
  });

  it('refuses empty strings anywhere and token arrays, naming the param', async () => {
    const refused = async (input: unknown, param: string) => {
      const err = await regionClient().embeddings.create({ model: 'm', input: input as string }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.BadRequestError);
      expect((err as InstanceType<typeof OpenAI.BadRequestError>).param).toBe(param);
    };
    await refused('', 'input');
    await refused(['a', '  '], 'input[1]');
    await refused([1, 2, 3], 'input');
    await refused([[1, 2], [3]], 'input');
  });

  it('works from LangChain: OpenAIEmbeddings and ChatOpenAI', async () => {
    const vectors = await langchainEmbed(regional.url, 'dev-edge-key', ['hello', 'manga']);
    expect(vectors).toHaveLength(2);
    expect(vectors[0].length).toBe(vectors[1].length);
    const before = proxy.connections;
    const reply = await langchainChat(edge.url, 'what is your return policy?');
    expect(String(reply.content)).toMatch(/30 days/);
    expect(reply.response_metadata.model_name).toBe('switchyard/template');
    expect(proxy.connections).toBe(before);
  });
});

describe('Cohere rerank v1 and v2', () => {
  const docs = [
    'One Piece, Vol. 100 by Eiichiro Oda. manga; Shonen, Adventure, Fantasy, Comedy. Volume 100, paperback, English. Age rating: Teen. Price $9.99. In stock (14). The landmark 100th volume, in the Wano arc.',
    'Returns: unopened items may be returned within 30 days of delivery for a full refund.',
    'Alaska and Hawaii: flat rate $12.99 via USPS Priority Mail, 5-8 business days.',
    'Gift cards never expire and can be used on any order.',
  ];
  const query = 'is one piece vol 100 in stock?';

  it('returns calibrated scores in [0, 1] in the reranker\'s own order, on both versions', async () => {
    const logits = Array.from(await regional.services.rerank!(query, docs));
    const order = logits.map((l, i) => ({ l, i })).sort((a, b) => b.l - a.l).map((x) => x.i);
    const v2 = await new CohereClientV2({ token: 'dev-edge-key', environment: regional.url }).rerank({ model: 'switchyard-reranker', query, documents: docs });
    expect(v2.results.map((r) => r.index)).toEqual(order);
    expect(v2.results.every((r) => r.relevanceScore >= 0 && r.relevanceScore <= 1)).toBe(true);
    const scores = v2.results.map((r) => r.relevanceScore);
    expect([...scores].sort((a, b) => b - a)).toEqual(scores);
    const v1 = await rerankV1(regional.url, 'dev-edge-key', query, docs);
    expect(v1.results.map((r) => r.index)).toEqual(order.slice(0, 2));
    expect(v1.results[0].relevanceScore).toBeCloseTo(scores[0], 6);
    expect(v1.results[0].document?.text).toBe(docs[order[0]]);
    // The fitted calibration is the one applied (and the response says so).
    const raw = await (await fetch(`${regional.url}/v2/rerank`, { method: 'POST', headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' }, body: JSON.stringify({ model: 'm', query, documents: docs, top_n: 1 }) })).json();
    expect(raw.meta.scores.calibrated).toBe(true);
    const cal = JSON.parse(readFileSync('domains/kitsune-books/rerank-calibration.json', 'utf8'));
    expect(raw.results[0].relevance_score).toBeCloseTo(1 / (1 + Math.exp(-(logits[order[0]] / cal.temperature + cal.bias))), 6);
  });

  it('keeps the relevant passage above 0.5 and the unrelated ones below (README snippet)', async () => {
    const kept = await rerankV2(regional.url, 'dev-edge-key', query, docs);
    expect(kept.map((r) => r.index)).toEqual([0]);
  });

  it('cuts documents at max_tokens_per_doc and refuses a v2 call without model', async () => {
    const long = `${'filler words about nothing in particular '.repeat(40)} One Piece Vol. 100 by Eiichiro Oda, in stock.`;
    const full = await new CohereClientV2({ token: 'dev-edge-key', environment: regional.url }).rerank({ model: 'm', query, documents: [long, docs[3]] });
    const cut = await new CohereClientV2({ token: 'dev-edge-key', environment: regional.url }).rerank({ model: 'm', query, documents: [long, docs[3]], maxTokensPerDoc: 16 });
    expect(cut.results.find((r) => r.index === 0)!.relevanceScore).toBeLessThan(full.results.find((r) => r.index === 0)!.relevanceScore);
    const res = await fetch(`${regional.url}/v2/rerank`, { method: 'POST', headers: { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' }, body: JSON.stringify({ query, documents: docs }) });
    expect(res.status).toBe(400);
  });
});

describe('trace context', () => {
  const traceId = '0af7651916cd43dd8448eb211c80319c';
  const traceparent = `00-${traceId}-b7ad6b7169203331-01`;
  const tracestate = 'congo=t61rcWkgMzE,rojo=00f067aa0ba902b7';

  it('forwards tracestate with traceparent from the edge to the region', async () => {
    proxy.mode = 'pass'; // drops pooled connections: the next call's request head is recorded
    const c = await edgeClient().chat.completions.create(
      { model: 's', messages: [{ role: 'user', content: 'can you recommend a cozy slice of life manga?' }] },
      { headers: { traceparent, tracestate } },
    );
    expect((c as unknown as { switchyard: { trace_id: string } }).switchyard.trace_id).toBe(traceId);
    const head = proxy.heads.filter((h) => h.startsWith('POST /v1/generate')).at(-1)!.toLowerCase();
    expect(head).toContain(`traceparent: 00-${traceId}-`);
    expect(head).toContain(`tracestate: ${tracestate.toLowerCase()}`);
  });

  it('puts traceparent and x-request-id on every regional response, errors included', async () => {
    const headers = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', traceparent, 'x-request-id': 'req-42' };
    for (const res of [
      await fetch(`${regional.url}/v1/embeddings`, { method: 'POST', headers, body: JSON.stringify({ input: 'hello' }) }),
      await fetch(`${regional.url}/v1/rerank`, { method: 'POST', headers, body: JSON.stringify({ query: 'q', documents: ['a'] }) }),
      await fetch(`${regional.url}/v1/embeddings`, { method: 'POST', headers: { ...headers, authorization: 'Bearer nope' }, body: '{}' }),
    ]) {
      expect(res.headers.get('traceparent')).toMatch(new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
      expect(res.headers.get('traceparent')).not.toBe(traceparent);
      expect(res.headers.get('x-request-id')).toBe('req-42');
    }
    const fresh = await fetch(`${regional.url}/healthz`);
    expect(fresh.headers.get('traceparent')).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('Vercel AI SDK (OpenAI-compatible provider)', () => {
  it('generates and streams through the edge, naming the path in the model id', async () => {
    const t = await aiSdkAnswer(edge.url, 'what is your return policy?');
    expect(t.text).toMatch(/30 days/);
    expect(t.model).toBe('switchyard/template');
    expect(t.usage.totalTokens).toBe(0);
    const s = await aiSdkStream(edge.url, 'can you recommend a fantasy light novel series?');
    expect(s.model).toMatch(/^region\//);
    expect(s.text.length).toBeGreaterThan(20);
  });
});
