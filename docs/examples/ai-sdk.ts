// Use Switchyard's edge from the Vercel AI SDK through its OpenAI-compatible provider.
// README "Use it from the OpenAI SDK, LangChain, LiteLLM or Cohere"; run by tests/openai-compat.test.ts.
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { generateText, streamText } from 'ai';

export async function aiSdkAnswer(edgeUrl: string, prompt: string) {
  const switchyard = createOpenAICompatible({ name: 'switchyard', baseURL: `${edgeUrl}/v1`, includeUsage: true });
  const { text, response, usage } = await generateText({ model: switchyard('switchyard'), prompt });
  return { text, model: response.modelId, usage };
}

export async function aiSdkStream(edgeUrl: string, prompt: string) {
  const switchyard = createOpenAICompatible({ name: 'switchyard', baseURL: `${edgeUrl}/v1`, includeUsage: true });
  const result = streamText({ model: switchyard('switchyard'), prompt });
  let text = '';
  for await (const part of result.textStream) text += part;
  return { text, model: (await result.response).modelId };
}
