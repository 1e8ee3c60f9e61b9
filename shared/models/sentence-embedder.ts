/** Sentence embeddings (L2-normalized) from a Switchyard static embedder over any onnxruntime. */
import { WordPieceTokenizer } from '../tokenizer/wordpiece.ts';
import { bertFeeds, type OrtSession, type OrtTensorConstructor } from './onnx-session.ts';

export class SentenceEmbedder {
  /** Only the pooled output is fetched: the graph's per-token `last_hidden_state` is not copied out. */
  private readonly fetches: readonly string[] | undefined;

  constructor(
    readonly tokenizer: WordPieceTokenizer,
    private readonly session: OrtSession,
    private readonly Tensor: OrtTensorConstructor,
  ) {
    this.fetches = session.outputNames?.includes('sentence_embedding') ? ['sentence_embedding'] : undefined;
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const enc = this.tokenizer.encodeBatch(texts);
    const out = await this.session.run(bertFeeds(this.session, this.Tensor, enc), this.fetches);
    const e = out.sentence_embedding;
    if (!e) throw new Error('embedder graph has no sentence_embedding output');
    const data = e.data as Float32Array;
    const D = e.dims[1];
    return texts.map((_, b) => data.slice(b * D, (b + 1) * D));
  }
}

export function cosine(a: Float32Array, b: Float32Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
