/**
 * Retrieval + reranking evaluation on the store's held-out questions (models/data/store/kb/questions.jsonl).
 *
 *   npx tsx models/cli/rerank-eval.ts [--reranker <dir>] [--embedder <dir>] [--k 30]
 *
 * Passages: one per catalog title (`KB-SKU-xxxx`), per policies.md `##` section
 * (`policies#<slug>`) and per FAQ entry (`faq-xxx`). Rows: BM25 alone, vectors alone (the
 * default embedder's `sentence_embedding`), hybrid (reciprocal rank fusion, k = 60, of the two
 * top-k lists) and hybrid + reranker (the hybrid top-k reordered by the cross-encoder). Prints a
 * JSON table of nDCG@10, recall@5 and MRR (plus recall@k of each first stage).
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cosine } from '../../shared/models/sentence-embedder.ts';
import { evaluateRerank, rankMetrics, recallAt, type RerankQuestion } from '../eval/rerank-eval.ts';
import { repoRoot } from '../pipeline/datasets.ts';
import { storeKbPassages } from '../pipeline/reranker-data.ts';
import { Bm25Index, reciprocalRankFusion, topK, type Hit } from '../pipeline/reranker-retrieval.ts';
import { storeDir } from '../pipeline/store-data.ts';
import { loadCrossEncoder, loadSentenceEmbedder } from '../runtime/load-node.ts';

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

  const passages = storeKbPassages();
  const questions = readFileSync(join(storeDir(), 'kb', 'questions.jsonl'), 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { question: string; relevant: string[] });
  const ids = new Set(passages.map((p) => p.id));
  for (const q of questions) for (const id of q.relevant) if (!ids.has(id)) throw new Error(`questions.jsonl: unknown passage id ${id}`);

  const bm25 = new Bm25Index(passages.map((p) => p.text));
  const embedder = await loadSentenceEmbedder(embedderDir);
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
  const relevant = questions.map((q) => q.relevant);
  const order = (hits: Hit[]) => hits.map((h) => passages[h.index].id);
  const recallK = (name: keyof typeof lists) =>
    lists[name].reduce((s, hits, qi) => s + recallAt(order(hits), new Set(relevant[qi]), k), 0) / questions.length;

  const reranker = await loadCrossEncoder(rerankerDir);
  const rerankQuestions: RerankQuestion[] = questions.map((q, qi) => ({
    question: q.question,
    relevant: q.relevant,
    candidates: lists.hybrid[qi].map((h) => passages[h.index]),
  }));
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
