/** Build time: the store's held-out retrieval lists with the embedder folder at `embedderDir` (loaded, used, released). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { storeRetrievalLists } from '../../shared/eval/store-retrieval.ts';
import { loadSentenceEmbedder } from '../pipeline/load-node.ts';
import { storeKbPassages } from '../pipeline/reranker-data.ts';
import { storeKbDir } from '../pipeline/store-data.ts';

export async function storeRetrievalListsWith(embedderDir: string, k: number) {
  const embedder = await loadSentenceEmbedder(embedderDir);
  try {
    const questionsJsonl = readFileSync(join(storeKbDir(), 'questions.jsonl'), 'utf8');
    return await storeRetrievalLists({ passages: storeKbPassages(), questionsJsonl, embedder }, k);
  } finally {
    await embedder.release();
  }
}
