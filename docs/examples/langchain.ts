// Use Switchyard from LangChain: ChatOpenAI against the edge, OpenAIEmbeddings against the region.
// README "Use it from the OpenAI SDK, LangChain, LiteLLM or Cohere"; run by tests/openai-compat.test.ts.
import { ChatOpenAI, OpenAIEmbeddings } from '@langchain/openai';

export async function langchainChat(edgeUrl: string, question: string) {
  const llm = new ChatOpenAI({ model: 'switchyard', apiKey: 'not-needed-at-the-edge', configuration: { baseURL: `${edgeUrl}/v1` } });
  // An app's own system prompt is welcome: the LLM is shown it after the operator's; template and cache answers are the store's own.
  const reply = await llm.invoke([['system', 'You are the shop assistant of our manga fan site. Be brief.'], ['human', question]]);
  return reply; // reply.content; reply.response_metadata.model_name names the path that answered
}

export async function langchainEmbed(regionUrl: string, apiKey: string, texts: string[]) {
  const embeddings = new OpenAIEmbeddings({ model: 'switchyard-embedder', apiKey, configuration: { baseURL: `${regionUrl}/v1` } });
  return embeddings.embedDocuments(texts);
}
