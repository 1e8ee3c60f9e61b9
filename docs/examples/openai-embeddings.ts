// Embeddings from the region with the OpenAI SDK (a partner or edge key), optionally shortened.
// README "Use it from the OpenAI SDK, LangChain, LiteLLM or Cohere"; run by tests/openai-compat.test.ts.
import OpenAI from 'openai';

export async function embed(regionUrl: string, apiKey: string, input: string[], dimensions?: number) {
  const client = new OpenAI({ baseURL: `${regionUrl}/v1`, apiKey });
  const res = await client.embeddings.create({ model: 'switchyard-embedder', input, ...(dimensions ? { dimensions } : {}) });
  return res.data.map((d) => d.embedding);
}
