/**
 * Ranking metrics for retrieval and reranking: nDCG@10 (binary gains), recall@5 and MRR, for a
 * candidate list in its own order and after a reranker reorders it. A relevant id missing from
 * the candidates still counts in the ideal DCG and the recall denominator.
 */

export interface Candidate {
  id: string;
  text: string;
}

export interface RerankQuestion {
  question: string;
  candidates: Candidate[];
  relevant: string[];
}

export interface RankMetrics {
  ndcg10: number;
  recall5: number;
  mrr: number;
  questions: number;
}

/** Scores passages for a query (higher is more relevant), e.g. CrossEncoder.score. */
export type PassageScorer = (query: string, passages: string[]) => Promise<Float32Array | number[]>;

export function ndcgAt(order: readonly string[], relevant: ReadonlySet<string>, k = 10): number {
  if (relevant.size === 0) return 0;
  let dcg = 0;
  for (let i = 0; i < Math.min(k, order.length); i++) if (relevant.has(order[i])) dcg += 1 / Math.log2(i + 2);
  let ideal = 0;
  for (let i = 0; i < Math.min(k, relevant.size); i++) ideal += 1 / Math.log2(i + 2);
  return dcg / ideal;
}

export function recallAt(order: readonly string[], relevant: ReadonlySet<string>, k = 5): number {
  if (relevant.size === 0) return 0;
  return order.slice(0, k).filter((id) => relevant.has(id)).length / relevant.size;
}

export function reciprocalRank(order: readonly string[], relevant: ReadonlySet<string>): number {
  const i = order.findIndex((id) => relevant.has(id));
  return i < 0 ? 0 : 1 / (i + 1);
}

/** Mean metrics over questions, each given as a ranked id list and its relevant ids. */
export function rankMetrics(orders: readonly (readonly string[])[], relevant: readonly (readonly string[])[]): RankMetrics {
  if (orders.length !== relevant.length) throw new Error('rankMetrics: orders and relevant differ in length');
  const n = orders.length;
  let ndcg10 = 0;
  let recall5 = 0;
  let mrr = 0;
  orders.forEach((order, i) => {
    const rel = new Set(relevant[i]);
    ndcg10 += ndcgAt(order, rel, 10);
    recall5 += recallAt(order, rel, 5);
    mrr += reciprocalRank(order, rel);
  });
  const mean = (x: number) => (n === 0 ? 0 : x / n);
  return { ndcg10: mean(ndcg10), recall5: mean(recall5), mrr: mean(mrr), questions: n };
}

/** Candidate ids ordered by score, highest first; ties keep the candidates' own order. */
export function orderByScore(candidates: readonly Candidate[], scores: ArrayLike<number>): string[] {
  if (scores.length !== candidates.length) throw new Error('orderByScore: one score per candidate expected');
  return candidates
    .map((c, i) => ({ id: c.id, i, s: scores[i] }))
    .sort((a, b) => b.s - a.s || a.i - b.i)
    .map((x) => x.id);
}

export interface RerankEvaluation {
  /** The candidates in the order they were given (the first stage). */
  candidates: RankMetrics;
  /** The same candidates reordered by the scorer. */
  reranked: RankMetrics;
}

/** Metrics of every question's candidate list before and after reranking with `score`. */
export async function evaluateRerank(questions: readonly RerankQuestion[], score: PassageScorer): Promise<RerankEvaluation> {
  const before: string[][] = [];
  const after: string[][] = [];
  for (const q of questions) {
    before.push(q.candidates.map((c) => c.id));
    after.push(
      q.candidates.length === 0 ? [] : orderByScore(q.candidates, await score(q.question, q.candidates.map((c) => c.text))),
    );
  }
  const relevant = questions.map((q) => q.relevant);
  return { candidates: rankMetrics(before, relevant), reranked: rankMetrics(after, relevant) };
}
