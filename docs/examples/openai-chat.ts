// Use Switchyard's edge from the official OpenAI SDK: only the base URL changes.
// README "Use it from the OpenAI SDK, LangChain, LiteLLM or Cohere"; run by tests/openai-compat.test.ts.
import OpenAI from 'openai';

export async function askOnce(edgeUrl: string, question: string) {
  const client = new OpenAI({ baseURL: `${edgeUrl}/v1`, apiKey: 'not-needed-at-the-edge' });
  const completion = await client.chat.completions.create({
    model: 'switchyard', // any name: the router picks what answers, and `model` in the reply says which
    messages: [{ role: 'user', content: question }],
  });
  return completion; // completion.choices[0].message.content, completion.model, (completion as any).switchyard.path
}

export async function askStreaming(edgeUrl: string, messages: OpenAI.ChatCompletionMessageParam[]) {
  const client = new OpenAI({ baseURL: `${edgeUrl}/v1`, apiKey: 'not-needed-at-the-edge' });
  const stream = await client.chat.completions.create({ model: 'switchyard', messages, stream: true, stream_options: { include_usage: true } });
  let text = '';
  let model = '';
  let usage: OpenAI.CompletionUsage | null | undefined;
  for await (const chunk of stream) {
    text += chunk.choices[0]?.delta?.content ?? '';
    model = chunk.model;
    if (chunk.usage) usage = chunk.usage;
  }
  return { text, model, usage };
}
