/**
 * The store knowledge base's held-out questions (domains/kitsune-books/kb/questions.jsonl) with the
 * first-stage candidate lists a reranker sees: BM25, vectors (an embedder's sentence_embedding)
 * and their reciprocal rank fusion (k = 60), each the top `k`.
 */
import type { Passage } from '../domain/store-passages.ts';
import { cosine, type SentenceEmbedder } from '../models/sentence-embedder.ts';
import { Bm25Index, reciprocalRankFusion, topK, type Hit } from './passage-retrieval.ts';
import type { RerankQuestion } from './rerank-eval.ts';

/** The passages, the text of questions.jsonl, and the embedder whose vectors form the vector leg. */
export interface StoreRetrievalInput {
  passages: Passage[];
  questionsJsonl: string;
  embedder: Pick<SentenceEmbedder, 'embed'>;
}

export async function storeRetrievalLists({ passages, questionsJsonl, embedder }: StoreRetrievalInput, k: number) {
  const questions = questionsJsonl
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { question: string; relevant: string[] });
  const ids = new Set(passages.map((p) => p.id));
  for (const q of questions) for (const id of q.relevant) if (!ids.has(id)) throw new Error(`questions.jsonl: unknown passage id ${id}`);

  const bm25 = new Bm25Index(passages.map((p) => p.text));
  const passageVecs: Float32Array[] = [];
  for (let i = 0; i < passages.length; i += 64) passageVecs.push(...(await embedder.embed(passages.slice(i, i + 64).map((p) => p.text))));
  const queryVecs = await embedder.embed(questions.map((q) => q.question));

  const lists: Record<'bm25' | 'vectors' | 'hybrid', Hit[][]> = { bm25: [], vectors: [], hybrid: [] };
  questions.forEach((q, qi) => {
    const b = bm25.search(q.question, k);
    const v = topK(passageVecs.map((p, index) => ({ index, score: cosine(queryVecs[qi], p) })), k);
    lists.bm25.push(b);
    lists.vectors.push(v);
    lists.hybrid.push(reciprocalRankFusion([b, v], 60, k));
  });
  /** The hybrid lists as the questions a reranker reorders. */
  const rerankQuestions: RerankQuestion[] = questions.map((q, qi) => ({
    question: q.question,
    relevant: q.relevant,
    candidates: lists.hybrid[qi].map((h) => passages[h.index]),
  }));
  return { passages, questions, lists, rerankQuestions };
}
