import type { EncodedBatch } from '../tokenizer/wordpiece.ts';

/**
 * The few onnxruntime types the shared model wrappers need. onnxruntime-node, onnxruntime-web
 * (WASM or WebGPU) and onnxruntime-web inside workerd all satisfy them, so the wrappers below
 * never import a runtime themselves.
 */
export interface OrtTensor {
  readonly data: unknown;
  readonly dims: readonly number[];
}

export interface OrtSession {
  readonly inputNames: readonly string[];
  readonly outputNames?: readonly string[];
  /** `fetches`: only these outputs (the runtime then copies no others out). */
  run(feeds: Record<string, OrtTensor>, fetches?: readonly string[]): Promise<Record<string, OrtTensor>>;
}

export type OrtTensorConstructor = new (type: 'int64', data: BigInt64Array, dims: readonly number[]) => OrtTensor;

export function bertFeeds(
  session: OrtSession,
  Tensor: OrtTensorConstructor,
  enc: EncodedBatch,
): Record<string, OrtTensor> {
  const dims = [enc.batch, enc.sequence];
  const all: Record<string, BigInt64Array> = {
    input_ids: enc.inputIds,
    attention_mask: enc.attentionMask,
    token_type_ids: enc.tokenTypeIds,
  };
  const feeds: Record<string, OrtTensor> = {};
  for (const name of session.inputNames) {
    if (!all[name]) throw new Error(`model input ${name} is not a BERT input`);
    feeds[name] = new Tensor('int64', all[name], dims);
  }
  return feeds;
}

/** One run at a time per session: single-threaded onnxruntime-web sessions are not re-entrant. */
export function serializeRuns(session: OrtSession): OrtSession {
  let tail: Promise<unknown> = Promise.resolve();
  const run: OrtSession['run'] = (feeds, fetches) => {
    const next = tail.then(() => (fetches ? session.run(feeds, fetches) : session.run(feeds)));
    tail = next.catch(() => undefined);
    return next;
  };
  return { inputNames: session.inputNames, outputNames: session.outputNames, run };
}
