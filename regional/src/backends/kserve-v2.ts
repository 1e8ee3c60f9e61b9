/**
 * Remote embeddings and reranking over the KServe v2 / Open Inference Protocol (Triton, KServe,
 * MLServer, Seldon, OpenVINO Model Server), JSON over HTTP:
 *
 *   POST {base}/v2/models/{model}[/versions/{v}]/infer
 *     {"inputs":  [{"name","shape","datatype","data"}], "outputs": [{"name"}]}
 *   →  {"model_name", "outputs": [{"name","shape","datatype","data"}]}     (data row-major)
 *   GET  {base}/v2/health/ready, {base}/v2/models/{model}/ready  → 200 when ready
 *
 * Two input modes:
 * - `tokens`: tokenized here with the WordPieceTokenizer, sent as INT64 `input_ids`,
 *   `attention_mask` (and `token_type_ids`), for a server that hosts the bare ONNX graph;
 * - `text`: raw strings as a BYTES tensor, for a server with a tokenizer ensemble.
 * The embedding output is either pooled (`sentence_embedding`, [batch, dim]) or token states
 * (`last_hidden_state`, [batch, seq, dim]) that are mean-pooled here with the attention mask.
 */
import type { WordPieceTokenizer } from '../../../shared/tokenizer/wordpiece.ts';
import { getOk, postJson } from './http-json.ts';
import { BackendError, type Embedder, type Reranker } from './types.ts';

export type V2Datatype = 'BOOL' | 'UINT8' | 'INT8' | 'INT16' | 'INT32' | 'INT64' | 'FP16' | 'FP32' | 'FP64' | 'BF16' | 'BYTES';

export interface V2InputTensor {
  name: string;
  shape: number[];
  datatype: V2Datatype;
  data: Array<number | string | boolean>;
}

export interface V2OutputTensor {
  name: string;
  shape: number[];
  datatype: string;
  data: unknown[];
}

export interface KServeV2ClientOptions {
  /** e.g. "http://triton.internal:8000" */
  baseUrl: string;
  model: string;
  version?: string;
  /** Every call, including reading the answer. Default 5 s. */
  timeoutMs?: number;
  /** e.g. an Authorization header for a gateway in front of the server. */
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

export class KServeV2Client {
  readonly baseUrl: string;
  readonly modelPath: string;
  readonly timeoutMs: number;

  constructor(private readonly o: KServeV2ClientOptions) {
    let u: URL;
    try {
      u = new URL(o.baseUrl);
    } catch {
      throw new BackendError(`invalid baseUrl ${JSON.stringify(o.baseUrl)}`, 'BAD_REQUEST', false);
    }
    if (!o.model) throw new BackendError('model name is required', 'BAD_REQUEST', false);
    this.baseUrl = u.toString().replace(/\/+$/, '');
    this.modelPath = `/v2/models/${encodeURIComponent(o.model)}${o.version ? `/versions/${encodeURIComponent(o.version)}` : ''}`;
    this.timeoutMs = o.timeoutMs ?? 5_000;
  }

  /** Runs one inference and returns the requested outputs by name. */
  async infer(inputs: V2InputTensor[], outputs: string[], signal?: AbortSignal): Promise<Record<string, V2OutputTensor>> {
    const what = `KServe v2 ${this.o.model}`;
    const res = await postJson<{ outputs?: unknown; error?: string }>(
      what,
      `${this.baseUrl}${this.modelPath}/infer`,
      { inputs, outputs: outputs.map((name) => ({ name })) },
      { timeoutMs: this.timeoutMs, signal, headers: this.o.headers, fetch: this.o.fetch },
    );
    if (!Array.isArray(res.outputs)) throw new BackendError(`${what}: answer has no outputs array`, 'BAD_RESPONSE', true);
    const byName: Record<string, V2OutputTensor> = {};
    for (const raw of res.outputs as Array<Partial<V2OutputTensor> & { parameters?: Record<string, unknown> }>) {
      if (!raw || typeof raw.name !== 'string') continue;
      if (!Array.isArray(raw.shape) || !raw.shape.every((d) => Number.isInteger(d) && d >= 0)) {
        throw new BackendError(`${what}: output ${raw.name} has no valid shape`, 'BAD_RESPONSE', true);
      }
      if (!Array.isArray(raw.data)) {
        const binary = raw.parameters && 'binary_data_size' in raw.parameters;
        throw new BackendError(`${what}: output ${raw.name} has no JSON data${binary ? ' (binary output is not supported)' : ''}`, 'BAD_RESPONSE', true);
      }
      const data = (raw.data as unknown[]).flat(Infinity);
      const count = raw.shape.reduce((a, b) => a * b, 1);
      if (data.length !== count) {
        throw new BackendError(`${what}: output ${raw.name} has ${data.length} values for shape [${raw.shape.join(', ')}]`, 'BAD_RESPONSE', true);
      }
      byName[raw.name] = { name: raw.name, shape: raw.shape, datatype: String(raw.datatype ?? ''), data };
    }
    for (const name of outputs) {
      if (!byName[name]) throw new BackendError(`${what}: answer lacks output ${name}`, 'BAD_RESPONSE', true);
    }
    return byName;
  }

  /** GET /v2/health/ready */
  serverReady(signal?: AbortSignal): Promise<boolean> {
    return getOk('KServe v2 health', `${this.baseUrl}/v2/health/ready`, { timeoutMs: this.timeoutMs, signal, headers: this.o.headers, fetch: this.o.fetch });
  }

  /** GET /v2/models/{model}[/versions/{v}]/ready */
  modelReady(signal?: AbortSignal): Promise<boolean> {
    return getOk(`KServe v2 ${this.o.model} ready`, `${this.baseUrl}${this.modelPath}/ready`, {
      timeoutMs: this.timeoutMs,
      signal,
      headers: this.o.headers,
      fetch: this.o.fetch,
    });
  }
}

export type KServeV2Input =
  | { mode: 'tokens'; tokenizer: WordPieceTokenizer; /** Send token_type_ids too. Default true. */ tokenTypeIds?: boolean }
  | { mode: 'text'; /** BYTES input name. Default "text". */ name?: string };

export interface KServeV2EmbedderOptions extends KServeV2ClientOptions {
  dimensions: number;
  input: KServeV2Input;
  /** Default `sentence_embedding` (pooled); `last_hidden_state` is mean-pooled here (tokens mode only). */
  output?: { name: string; pooling: 'none' | 'mean' };
  /** L2-normalize each vector. Default true. */
  normalize?: boolean;
  /** Texts per request. Default 32. */
  maxBatch?: number;
  name?: string;
}

export class KServeV2Embedder implements Embedder {
  readonly name: string;
  readonly dimensions: number;
  readonly client: KServeV2Client;
  private readonly output: { name: string; pooling: 'none' | 'mean' };
  private readonly maxBatch: number;

  constructor(private readonly o: KServeV2EmbedderOptions) {
    this.client = new KServeV2Client(o);
    this.name = o.name ?? `kserve-v2:${o.model}`;
    this.dimensions = o.dimensions;
    this.output = o.output ?? { name: 'sentence_embedding', pooling: 'none' };
    this.maxBatch = o.maxBatch ?? 32;
    if (!Number.isInteger(o.dimensions) || o.dimensions < 1) throw new BackendError('dimensions must be a positive integer', 'BAD_REQUEST', false);
    if (this.output.pooling === 'mean' && o.input.mode !== 'tokens') {
      throw new BackendError('mean pooling needs the attention mask: use tokens mode or a pooled output', 'BAD_REQUEST', false);
    }
  }

  /** Server and model readiness. */
  async ready(signal?: AbortSignal): Promise<boolean> {
    return (await this.client.serverReady(signal)) && (await this.client.modelReady(signal));
  }

  async embed(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    checkTexts(texts);
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.maxBatch) out.push(...(await this.embedBatch(texts.slice(i, i + this.maxBatch), signal)));
    return out;
  }

  private async embedBatch(texts: string[], signal?: AbortSignal): Promise<Float32Array[]> {
    const what = `KServe v2 ${this.o.model}`;
    const batch = texts.length;
    let mask: BigInt64Array | undefined;
    let sequence = 0;
    let inputs: V2InputTensor[];
    if (this.o.input.mode === 'tokens') {
      const enc = this.o.input.tokenizer.encodeBatch(texts);
      mask = enc.attentionMask;
      sequence = enc.sequence;
      inputs = tokenInputs(enc.inputIds, enc.attentionMask, enc.tokenTypeIds, [batch, sequence], this.o.input.tokenTypeIds !== false);
    } else {
      inputs = [{ name: this.o.input.name ?? 'text', shape: [batch], datatype: 'BYTES', data: texts }];
    }
    const t = (await this.client.infer(inputs, [this.output.name], signal))[this.output.name];
    const D = this.dimensions;
    const data = numbers(what, t);
    const vectors: Float32Array[] = [];
    if (this.output.pooling === 'none') {
      if (t.shape.length !== 2 || t.shape[0] !== batch || t.shape[1] !== D) {
        throw new BackendError(`${what}: ${t.name} has shape [${t.shape.join(', ')}], expected [${batch}, ${D}]`, 'BAD_RESPONSE', false);
      }
      for (let b = 0; b < batch; b++) vectors.push(Float32Array.from(data.subarray(b * D, (b + 1) * D)));
    } else {
      if (t.shape.length !== 3 || t.shape[0] !== batch || t.shape[1] !== sequence || t.shape[2] !== D) {
        throw new BackendError(`${what}: ${t.name} has shape [${t.shape.join(', ')}], expected [${batch}, ${sequence}, ${D}]`, 'BAD_RESPONSE', false);
      }
      for (let b = 0; b < batch; b++) {
        const v = new Float32Array(D);
        let n = 0;
        for (let s = 0; s < sequence; s++) {
          if (mask![b * sequence + s] === 0n) continue;
          n++;
          const row = (b * sequence + s) * D;
          for (let d = 0; d < D; d++) v[d] += data[row + d];
        }
        if (n > 0) for (let d = 0; d < D; d++) v[d] /= n;
        vectors.push(v);
      }
    }
    if (this.o.normalize !== false) for (const v of vectors) l2normalize(v);
    return vectors;
  }
}

export interface KServeV2RerankerOptions extends KServeV2ClientOptions {
  /** tokens: query/passage pairs as `[CLS] q [SEP] p [SEP]`; text: two BYTES inputs. */
  input: KServeV2Input | { mode: 'text'; queryName?: string; passageName?: string };
  /** Score output. Default "logits": [batch], [batch, 1], or [batch, 2] (the second column is used). */
  outputName?: string;
  maxBatch?: number;
  name?: string;
}

export class KServeV2Reranker implements Reranker {
  readonly name: string;
  readonly client: KServeV2Client;
  private readonly outputName: string;
  private readonly maxBatch: number;

  constructor(private readonly o: KServeV2RerankerOptions) {
    this.client = new KServeV2Client(o);
    this.name = o.name ?? `kserve-v2:${o.model}`;
    this.outputName = o.outputName ?? 'logits';
    this.maxBatch = o.maxBatch ?? 32;
  }

  async ready(signal?: AbortSignal): Promise<boolean> {
    return (await this.client.serverReady(signal)) && (await this.client.modelReady(signal));
  }

  async rerank(query: string, passages: string[], signal?: AbortSignal): Promise<number[]> {
    if (typeof query !== 'string' || query.trim() === '') throw new BackendError('query must be a non-empty string', 'BAD_REQUEST', false);
    if (passages.length === 0) return [];
    checkTexts(passages);
    const out: number[] = [];
    for (let i = 0; i < passages.length; i += this.maxBatch) out.push(...(await this.scoreBatch(query, passages.slice(i, i + this.maxBatch), signal)));
    return out;
  }

  private async scoreBatch(query: string, passages: string[], signal?: AbortSignal): Promise<number[]> {
    const what = `KServe v2 ${this.o.model}`;
    const batch = passages.length;
    const input = this.o.input;
    let inputs: V2InputTensor[];
    if (input.mode === 'tokens') {
      const enc = encodePairs(input.tokenizer, query, passages);
      inputs = tokenInputs(enc.inputIds, enc.attentionMask, enc.tokenTypeIds, [batch, enc.sequence], input.tokenTypeIds !== false);
    } else {
      const names = input as { queryName?: string; passageName?: string };
      inputs = [
        { name: names.queryName ?? 'query', shape: [batch], datatype: 'BYTES', data: passages.map(() => query) },
        { name: names.passageName ?? 'passage', shape: [batch], datatype: 'BYTES', data: passages },
      ];
    }
    const t = (await this.client.infer(inputs, [this.outputName], signal))[this.outputName];
    const data = numbers(what, t);
    const cols = t.shape.length === 1 ? 1 : t.shape.length === 2 ? t.shape[1] : -1;
    if (t.shape[0] !== batch || (cols !== 1 && cols !== 2)) {
      throw new BackendError(`${what}: ${t.name} has shape [${t.shape.join(', ')}], expected [${batch}], [${batch}, 1] or [${batch}, 2]`, 'BAD_RESPONSE', false);
    }
    return Array.from({ length: batch }, (_, b) => data[b * cols + cols - 1]);
  }
}

function tokenInputs(ids: BigInt64Array, mask: BigInt64Array, types: BigInt64Array, shape: number[], withTypes: boolean): V2InputTensor[] {
  const int64 = (name: string, a: BigInt64Array): V2InputTensor => ({ name, shape, datatype: 'INT64', data: Array.from(a, Number) });
  return [int64('input_ids', ids), int64('attention_mask', mask), ...(withTypes ? [int64('token_type_ids', types)] : [])];
}

/**
 * `[CLS] query [SEP] passage [SEP]` per passage with token types 0 then 1, padded to the longest:
 * the tokenizer's own `encodePair`, so a remote cross-encoder sees exactly what the in-process
 * reranker and transformers.js see (including how a long pair is truncated).
 */
export function encodePairs(tok: WordPieceTokenizer, query: string, passages: string[]) {
  const rows = passages.map((p) => tok.encodePair(query, p));
  const sequence = Math.max(...rows.map((r) => r.ids.length));
  const n = rows.length * sequence;
  const inputIds = new BigInt64Array(n);
  const attentionMask = new BigInt64Array(n);
  const tokenTypeIds = new BigInt64Array(n);
  rows.forEach((r, b) => {
    for (let t = 0; t < sequence; t++) {
      const real = t < r.ids.length;
      inputIds[b * sequence + t] = BigInt(real ? r.ids[t] : tok.padId);
      attentionMask[b * sequence + t] = real ? 1n : 0n;
      tokenTypeIds[b * sequence + t] = real ? BigInt(r.typeIds[t]) : 0n;
    }
  });
  return { sequence, inputIds, attentionMask, tokenTypeIds };
}

function checkTexts(texts: string[]): void {
  if (!Array.isArray(texts) || texts.length === 0) throw new BackendError('texts must be a non-empty array', 'BAD_REQUEST', false);
  for (const t of texts) if (typeof t !== 'string') throw new BackendError('every text must be a string', 'BAD_REQUEST', false);
}

function numbers(what: string, t: V2OutputTensor): Float64Array {
  const out = new Float64Array(t.data.length);
  for (let i = 0; i < t.data.length; i++) {
    const v = t.data[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new BackendError(`${what}: ${t.name} holds a non-numeric value at ${i}`, 'BAD_RESPONSE', false);
    out[i] = v;
  }
  return out;
}

function l2normalize(v: Float32Array): void {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i] * v[i];
  const n = Math.sqrt(s);
  if (n > 0) for (let i = 0; i < v.length; i++) v[i] /= n;
}
