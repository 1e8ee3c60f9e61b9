/**
 * A self-hosted LLM at the HTTP boundary (msw): an OpenAI-compatible chat-completions server at
 * http://llm.test that streams a short grounded answer and reports fixed token usage, so the
 * region's token and cost accounting can be checked exactly.
 */
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';

export const LLM_URL = 'http://llm.test';
export const LLM_USAGE = { prompt_tokens: 90, completion_tokens: 12 };

const enc = new TextEncoder();
const chunk = (body: unknown) => enc.encode(`data: ${JSON.stringify(body)}\n\n`);

export function openAiLlm() {
  let calls = 0;
  const server = setupServer(
    http.post(`${LLM_URL}/v1/chat/completions`, () => {
      calls++;
      const parts = ['Standard shipping to Alaska ', 'takes 5 to 10 business days ', 'and costs $12.99.'];
      const stream = new ReadableStream<Uint8Array>({
        start(c) {
          for (const p of parts) c.enqueue(chunk({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: p }, finish_reason: null }] }));
          c.enqueue(chunk({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: LLM_USAGE }));
          c.enqueue(enc.encode('data: [DONE]\n\n'));
          c.close();
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
    }),
  );
  return { server, calls: () => calls };
}
