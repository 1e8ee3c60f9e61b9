// Rerank with the official Cohere SDK against the region (a partner or edge key): v2 and v1 clients.
// README "Use it from the OpenAI SDK, LangChain, LiteLLM or Cohere"; run by tests/openai-compat.test.ts.
import { CohereClient, CohereClientV2 } from 'cohere-ai';

export async function rerankV2(regionUrl: string, apiKey: string, query: string, documents: string[]) {
  const cohere = new CohereClientV2({ token: apiKey, environment: regionUrl });
  const res = await cohere.rerank({ model: 'switchyard-reranker', query, documents, topN: 3 });
  return res.results.filter((r) => r.relevanceScore >= 0.5); // calibrated: a probability of relevance
}

export async function rerankV1(regionUrl: string, apiKey: string, query: string, documents: string[]) {
  const cohere = new CohereClient({ token: apiKey, environment: regionUrl });
  return cohere.rerank({ query, documents, topN: 2, returnDocuments: true });
}
