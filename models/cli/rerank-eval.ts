/**
 * Retrieval + reranking evaluation on the store's held-out questions (domains/kitsune-books/kb/questions.jsonl).
 *
 *   npx tsx models/cli/rerank-eval.ts [--reranker <dir>] [--embedder <dir>] [--k 30]
 *
 * Passages: one per catalog title (`KB-SKU-xxxx`), per policies.md `##` section
 * (`policies#<slug>`) and per FAQ entry (`faq-xxx`). Rows: BM25 alone, vectors alone (the
 * default embedder's `sentence_embedding`), hybrid (reciprocal rank fusion, k = 60, of the two
 * top-k lists) and hybrid + reranker (the hybrid top-k reordered by the cross-encoder). Prints a
 * JSON table of nDCG@10, recall@5 and MRR (plus recall@k of each first stage).
 */
import { join, resolve } from 'node:path';
import { evaluateRerank, rankMetrics, recallAt } from '../../shared/eval/rerank-eval.ts';
import { storeRetrievalListsWith } from '../eval/store-retrieval.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import type { Hit } from '../../shared/eval/passage-retrieval.ts';
import { loadCrossEncoder } from '../pipeline/load-node.ts';

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

async function main() {
  const defaults = join(repoRoot(), 'models', 'default');
  const rerankerDir = resolve(flag('reranker', join(defaults, 'reranker')));
  const embedderDir = resolve(flag('embedder', join(defaults, 'embedder')));
  const k = Number(flag('k', '30'));
  if (!Number.isInteger(k) || k < 1) throw new Error('--k must be a positive integer');

  const { passages, questions, lists, rerankQuestions } = await storeRetrievalListsWith(embedderDir, k);
  const relevant = questions.map((q) => q.relevant);
  const order = (hits: Hit[]) => hits.map((h) => passages[h.index].id);
  const recallK = (name: keyof typeof lists) =>
    lists[name].reduce((s, hits, qi) => s + recallAt(order(hits), new Set(relevant[qi]), k), 0) / questions.length;

  const reranker = await loadCrossEncoder(rerankerDir);
  const t0 = performance.now();
  const hybridRerank = await evaluateRerank(rerankQuestions, (query, texts) => reranker.score(query, texts));
  const msPerQuery = (performance.now() - t0) / questions.length;

  const rows = {
    bm25: { ...rankMetrics(lists.bm25.map(order), relevant), [`recall${k}`]: recallK('bm25') },
    vectors: { ...rankMetrics(lists.vectors.map(order), relevant), [`recall${k}`]: recallK('vectors') },
    hybrid: { ...hybridRerank.candidates, [`recall${k}`]: recallK('hybrid') },
    'hybrid+rerank': { ...hybridRerank.reranked, [`recall${k}`]: recallK('hybrid') },
  };
  const round = (x: unknown) => (typeof x === 'number' && !Number.isInteger(x) ? Number(x.toFixed(4)) : x);
  const table = Object.fromEntries(Object.entries(rows).map(([name, m]) => [name, Object.fromEntries(Object.entries(m).map(([key, v]) => [key, round(v)]))]));
  console.log(
    JSON.stringify(
      {
        questions: questions.length,
        passages: passages.length,
        candidates: k,
        reranker: `${reranker.manifest.name}@${reranker.manifest.version}`,
        rerankMsPerQuery: Number(msPerQuery.toFixed(1)),
        metrics: table,
      },
      null,
      2,
    ),
  );
}

await main();
