/**
 * Cross-encoder reranking over any onnxruntime: each (query, passage) pair is encoded as BERT does
 * (`[CLS] query [SEP] passage [SEP]`, token types 0 then 1, cut to the tokenizer's maxLength) and
 * the graph returns one relevance logit per pair (`logits` [batch, 1]), as an HF
 * BertForSequenceClassification cross-encoder with num_labels 1 does. Higher is more relevant;
 * sigmoid(logit) reads as a probability for models calibrated that way (Switchyard's default is).
 */
import { WordPieceTokenizer } from '../tokenizer/wordpiece.ts';
import { bertFeeds, type OrtSession, type OrtTensorConstructor } from './onnx-session.ts';

export class CrossEncoderInputError extends Error {
  readonly code = 'RERANK_BAD_INPUT';
  constructor(message: string) {
    super(message);
    this.name = 'CrossEncoderInputError';
  }
}

export interface CrossEncoderOptions {
  /** Pairs per graph run (bounds memory for long candidate lists). */
  batchSize?: number;
}

export class CrossEncoder {
  private readonly batchSize: number;

  constructor(
    readonly tokenizer: WordPieceTokenizer,
    private readonly session: OrtSession,
    private readonly Tensor: OrtTensorConstructor,
    options: CrossEncoderOptions = {},
  ) {
    this.batchSize = Math.max(1, Math.floor(options.batchSize ?? 32));
  }

  /** One logit per passage, in the passages' order. */
  async score(query: string, passages: string[]): Promise<Float32Array> {
    if (typeof query !== 'string') throw new CrossEncoderInputError('query must be a string');
    if (!Array.isArray(passages)) throw new CrossEncoderInputError('passages must be an array of strings');
    passages.forEach((p, i) => {
      if (typeof p !== 'string') throw new CrossEncoderInputError(`passages[${i}] must be a string`);
    });
    const out = new Float32Array(passages.length);
    for (let start = 0; start < passages.length; start += this.batchSize) {
      const chunk = passages.slice(start, start + this.batchSize);
      const enc = this.tokenizer.encodePairBatch(
        chunk.map(() => query),
        chunk,
      );
      const result = await this.session.run(bertFeeds(this.session, this.Tensor, enc));
      const logits = result.logits;
      if (!logits) throw new Error('cross-encoder graph has no logits output');
      if (logits.dims.length !== 2 || logits.dims[0] !== chunk.length || logits.dims[1] !== 1) {
        throw new Error(`cross-encoder logits have shape [${logits.dims.join(', ')}], expected [${chunk.length}, 1]`);
      }
      out.set(logits.data as Float32Array, start);
    }
    return out;
  }

  /** Passage indices by descending score (ties keep the given order), with their scores. */
  async rank(query: string, passages: string[]): Promise<Array<{ index: number; score: number }>> {
    const scores = await this.score(query, passages);
    return Array.from(scores, (score, index) => ({ index, score })).sort((a, b) => b.score - a.score || a.index - b.index);
  }
}

export function sigmoid(logit: number): number {
  return 1 / (1 + Math.exp(-logit));
}
