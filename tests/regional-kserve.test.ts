/**
 * KServe v2 / Triton embeddings and reranking against msw speaking the Open Inference Protocol
 * JSON wire format, with the real WordPiece tokenizer of the default embedder.
 */
import { readFileSync } from 'node:fs';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { describe, expect, it } from 'vitest';
import { KServeV2Embedder, KServeV2Reranker, encodePairs } from '../regional/src/backends/kserve-v2.ts';
import { BackendError } from '../regional/src/backends/types.ts';
import { WordPieceTokenizer, type TokenizerJson } from '../shared/tokenizer/wordpiece.ts';
import { serveDuringTests } from './helpers/msw-server.ts';

const tokenizer = new WordPieceTokenizer(JSON.parse(readFileSync(new URL('../models/default/embedder/tokenizer.json', import.meta.url), 'utf8')) as TokenizerJson);
const BASE = 'http://triton.internal:8000';

interface InferBody {
  inputs: Array<{ name: string; shape: number[]; datatype: string; data: Array<number | string> }>;
  outputs?: Array<{ name: string }>;
}
let bodies: InferBody[] = [];
let paths: string[] = [];
let infer: (body: InferBody) => Response | Promise<Response> = () => HttpResponse.json({ error: 'no handler' }, { status: 500 });
let ready = { server: true, model: true };

const server = setupServer(
  http.post(`${BASE}/v2/models/:model/infer`, async ({ request }) => {
    const body = (await request.json()) as InferBody;
    bodies.push(body);
    paths.push(new URL(request.url).pathname);
    return infer(body);
  }),
  http.post(`${BASE}/v2/models/:model/versions/:version/infer`, async ({ request }) => {
    const body = (await request.json()) as InferBody;
    bodies.push(body);
    paths.push(new URL(request.url).pathname);
    return infer(body);
  }),
  http.get(`${BASE}/v2/health/ready`, () => new HttpResponse(null, { status: ready.server ? 200 : 503 })),
  http.get(`${BASE}/v2/models/:model/ready`, () => new HttpResponse(null, { status: ready.model ? 200 : 400 })),
);
serveDuringTests(server, () => {
  bodies = [];
  paths = [];
  ready = { server: true, model: true };
});

const input = (b: InferBody, name: string) => b.inputs.find((i) => i.name === name)!;
const norm = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};

describe('KServeV2Embedder, tokens mode', () => {
  it('sends INT64 input_ids/attention_mask/token_type_ids from the tokenizer and reads sentence_embedding', async () => {
    const texts = ['where is my order', 'do you ship manga to Canada?'];
    const enc = tokenizer.encodeBatch(texts);
    infer = (body) =>
      HttpResponse.json({
        model_name: 'embedder',
        outputs: [{ name: 'sentence_embedding', datatype: 'FP32', shape: [2, 4], data: [3, 0, 0, 4, 0, 1, 0, 0] }],
      });
    const e = new KServeV2Embedder({ baseUrl: BASE, model: 'embedder', dimensions: 4, input: { mode: 'tokens', tokenizer } });
    const out = await e.embed(texts);

    expect(paths).toEqual(['/v2/models/embedder/infer']);
    const body = bodies[0];
    expect(body.inputs.map((i) => [i.name, i.datatype, i.shape])).toEqual([
      ['input_ids', 'INT64', [2, enc.sequence]],
      ['attention_mask', 'INT64', [2, enc.sequence]],
      ['token_type_ids', 'INT64', [2, enc.sequence]],
    ]);
    expect(input(body, 'input_ids').data).toEqual(Array.from(enc.inputIds, Number));
    expect(input(body, 'attention_mask').data).toEqual(Array.from(enc.attentionMask, Number));
    expect(input(body, 'input_ids').data[0]).toBe(tokenizer.clsId);
    expect(body.outputs).toEqual([{ name: 'sentence_embedding' }]);
    expect(out).toHaveLength(2);
    expect(Array.from(out[0])).toEqual([0.6000000238418579, 0, 0, 0.800000011920929]);
    expect(Array.from(out[1])).toEqual([0, 1, 0, 0]);
  });

  it('mean-pools last_hidden_state over real tokens only (the attention mask)', async () => {
    const texts = ['hi', 'a much longer question about volume three'];
    const enc = tokenizer.encodeBatch(texts);
    const S = enc.sequence;
    const D = 3;
    // real tokens of row b carry [b+1, t, 1]; padding carries 1000s that must not leak in
    const data: number[] = [];
    for (let b = 0; b < 2; b++) for (let t = 0; t < S; t++) data.push(...(enc.attentionMask[b * S + t] === 1n ? [b + 1, t, 1] : [1000, 1000, 1000]));
    infer = () => HttpResponse.json({ outputs: [{ name: 'last_hidden_state', datatype: 'FP32', shape: [2, S, D], data }] });
    const e = new KServeV2Embedder({
      baseUrl: BASE,
      model: 'embedder',
      version: '3',
      dimensions: D,
      input: { mode: 'tokens', tokenizer, tokenTypeIds: false },
      output: { name: 'last_hidden_state', pooling: 'mean' },
    });
    const out = await e.embed(texts);
    expect(paths).toEqual(['/v2/models/embedder/versions/3/infer']);
    expect(bodies[0].inputs.map((i) => i.name)).toEqual(['input_ids', 'attention_mask']);
    const n0 = enc.ids[0].length;
    const n1 = enc.ids[1].length;
    expect(n0).toBeLessThan(S);
    const expect0 = norm([1, (n0 - 1) / 2, 1]);
    const expect1 = norm([2, (n1 - 1) / 2, 1]);
    out[0].forEach((x, i) => expect(x).toBeCloseTo(expect0[i], 5));
    out[1].forEach((x, i) => expect(x).toBeCloseTo(expect1[i], 5));
  });

  it('splits large inputs into maxBatch-sized requests and keeps the order', async () => {
    infer = (body) => {
      const n = body.inputs[0].shape[0];
      const offset = bodies.length - 1;
      return HttpResponse.json({ outputs: [{ name: 'sentence_embedding', datatype: 'FP32', shape: [n, 2], data: Array.from({ length: n }, (_, i) => [offset * 10 + i + 1, 0]).flat() }] });
    };
    const e = new KServeV2Embedder({ baseUrl: BASE, model: 'embedder', dimensions: 2, input: { mode: 'tokens', tokenizer }, maxBatch: 2, normalize: false });
    const out = await e.embed(['a', 'b', 'c', 'd', 'e']);
    expect(bodies.map((b) => b.inputs[0].shape[0])).toEqual([2, 2, 1]);
    expect(out.map((v) => v[0])).toEqual([1, 2, 11, 12, 21]);
  });
});

describe('KServeV2Embedder, text mode', () => {
  it('sends raw strings as a BYTES tensor and accepts nested output data', async () => {
    infer = () => HttpResponse.json({ outputs: [{ name: 'sentence_embedding', datatype: 'FP32', shape: [2, 2], data: [[1, 0], [0, 2]] }] });
    const e = new KServeV2Embedder({ baseUrl: BASE, model: 'bge-ensemble', dimensions: 2, input: { mode: 'text' } });
    const out = await e.embed(['naïve café', 'ワンピース']);
    expect(bodies[0].inputs).toEqual([{ name: 'text', shape: [2], datatype: 'BYTES', data: ['naïve café', 'ワンピース'] }]);
    expect(out.map((v) => Array.from(v))).toEqual([[1, 0], [0, 1]]);
  });

  it('refuses mean pooling without token inputs', () => {
    expect(() => new KServeV2Embedder({ baseUrl: BASE, model: 'm', dimensions: 2, input: { mode: 'text' }, output: { name: 'last_hidden_state', pooling: 'mean' } })).toThrow(BackendError);
  });
});

describe('KServeV2 errors, timeouts and health', () => {
  const embedder = (timeoutMs = 2_000) => new KServeV2Embedder({ baseUrl: BASE, model: 'embedder', dimensions: 4, input: { mode: 'tokens', tokenizer }, timeoutMs });

  it('maps the protocol error body of a 400 to BAD_REQUEST with the server message', async () => {
    infer = () => HttpResponse.json({ error: "unexpected inference input 'token_type_ids' for model 'embedder'" }, { status: 400 });
    const err = await embedder().embed(['x']).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('BAD_REQUEST');
    expect(err.message).toContain("unexpected inference input 'token_type_ids'");
  });

  it('maps 503 to a retryable UNAVAILABLE', async () => {
    infer = () => HttpResponse.json({ error: 'model embedder is not ready' }, { status: 503 });
    const err = await embedder().embed(['x']).catch((e) => e);
    expect(err.code).toBe('UNAVAILABLE');
    expect(err.retryable).toBe(true);
  });

  it('reports BAD_RESPONSE for a wrong dimension or a missing output', async () => {
    infer = () => HttpResponse.json({ outputs: [{ name: 'sentence_embedding', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] });
    expect((await embedder().embed(['x']).catch((e) => e)).code).toBe('BAD_RESPONSE');
    infer = () => HttpResponse.json({ outputs: [{ name: 'logits', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] });
    const err = await embedder().embed(['x']).catch((e) => e);
    expect(err.code).toBe('BAD_RESPONSE');
    expect(err.message).toContain('lacks output sentence_embedding');
    infer = () => HttpResponse.json({ outputs: [{ name: 'sentence_embedding', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3] }] });
    expect((await embedder().embed(['x']).catch((e) => e)).code).toBe('BAD_RESPONSE');
  });

  it('times out a server that never answers', { timeout: 5_000 }, async () => {
    infer = () => new Promise<Response>(() => {});
    const err = await embedder(150).embed(['x']).catch((e) => e);
    expect(err).toBeInstanceOf(BackendError);
    expect(err.code).toBe('TIMEOUT');
  });

  it('reports ABORTED when the caller aborts', { timeout: 5_000 }, async () => {
    infer = () => new Promise<Response>(() => {});
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 30);
    const err = await embedder().embed(['x'], ac.signal).catch((e) => e);
    expect(err.code).toBe('ABORTED');
  });

  it('checks GET /v2/health/ready and the model ready endpoint', async () => {
    const e = embedder();
    expect(await e.client.serverReady()).toBe(true);
    expect(await e.ready()).toBe(true);
    ready = { server: true, model: false };
    expect(await e.ready()).toBe(false);
    ready = { server: false, model: true };
    expect(await e.client.serverReady()).toBe(false);
  });

  it('rejects empty input before any call', async () => {
    expect((await embedder().embed([]).catch((e) => e)).code).toBe('BAD_REQUEST');
    expect(bodies).toHaveLength(0);
  });
});

describe('KServeV2Reranker', () => {
  it('sends [CLS] query [SEP] passage [SEP] pairs with token types and reads one logit per pair', async () => {
    infer = (body) => {
      const n = body.inputs[0].shape[0];
      return HttpResponse.json({ outputs: [{ name: 'logits', datatype: 'FP32', shape: [n, 1], data: Array.from({ length: n }, (_, i) => i * 0.5 - 1) }] });
    };
    const r = new KServeV2Reranker({ baseUrl: BASE, model: 'reranker', input: { mode: 'tokens', tokenizer } });
    const scores = await r.rerank('return policy', ['Returns are accepted within 30 days.', 'We ship worldwide.', 'Gift cards never expire.']);
    expect(scores).toEqual([-1, -0.5, 0]);
    const body = bodies[0];
    const S = body.inputs[0].shape[1];
    const ids = input(body, 'input_ids').data.slice(0, S) as number[];
    const types = input(body, 'token_type_ids').data.slice(0, S) as number[];
    const q = tokenizer.encode('return policy').slice(1, -1);
    expect(ids.slice(0, q.length + 2)).toEqual([tokenizer.clsId, ...q, tokenizer.sepId]);
    expect(types.slice(0, q.length + 2).every((t) => t === 0)).toBe(true);
    expect(types[q.length + 2]).toBe(1);
  });

  it('uses the positive column of a two-class output and BYTES inputs in text mode', async () => {
    infer = () => HttpResponse.json({ outputs: [{ name: 'scores', datatype: 'FP32', shape: [2, 2], data: [0.9, 0.1, 0.2, 0.8] }] });
    const r = new KServeV2Reranker({ baseUrl: BASE, model: 'reranker', input: { mode: 'text' }, outputName: 'scores' });
    expect(await r.rerank('q', ['p1', 'p2'])).toEqual([0.1, 0.8]);
    expect(bodies[0].inputs).toEqual([
      { name: 'query', shape: [2], datatype: 'BYTES', data: ['q', 'q'] },
      { name: 'passage', shape: [2], datatype: 'BYTES', data: ['p1', 'p2'] },
    ]);
  });

  it('encodes pairs exactly as the tokenizer does (same ids and token types as the in-process reranker)', () => {
    const long = 'volume '.repeat(400);
    const enc = encodePairs(tokenizer, 'return policy', [long, 'short']);
    expect(enc.sequence).toBe(tokenizer.maxLength);
    const ref = tokenizer.encodePair('return policy', 'short');
    const S = enc.sequence;
    expect(Array.from(enc.inputIds.slice(S, S + ref.ids.length), Number)).toEqual(ref.ids);
    expect(Array.from(enc.tokenTypeIds.slice(S, S + ref.ids.length), Number)).toEqual(ref.typeIds);
    expect(Array.from(enc.attentionMask.slice(S, 2 * S), Number).filter((m) => m === 1)).toHaveLength(ref.ids.length);
  });
});
