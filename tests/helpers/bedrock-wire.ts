/** Bedrock's wire format for msw handlers: AWS event-stream frames, ConverseStream bodies, typed errors. */
import { EventStreamCodec } from '@smithy/eventstream-codec';
import { fromUtf8, toUtf8 } from '@smithy/util-utf8';
import { HttpResponse } from 'msw';

const codec = new EventStreamCodec(toUtf8, fromUtf8);

/** One event-stream frame: `:message-type` event or exception, typed by its `:event-type` / `:exception-type` header. */
function frame(kind: 'event' | 'exception', type: string, body: unknown): Uint8Array {
  return codec.encode({
    headers: {
      [`:${kind}-type`]: { type: 'string', value: type },
      ':message-type': { type: 'string', value: kind },
      ':content-type': { type: 'string', value: 'application/json' },
    },
    body: fromUtf8(JSON.stringify(body)),
  });
}

export const event = (type: string, body: unknown): Uint8Array => frame('event', type, body);

export const exception = (type: string, message: string): Uint8Array => frame('exception', type, { message });

/** A ConverseStream body: messageStart, one delta per text, messageStop, metadata. */
export function converseStream(texts: string[], opts: { gate?: Promise<void>; onRest?: () => void; usage?: object } = {}): ReadableStream<Uint8Array> {
  return new ReadableStream({
    async start(c) {
      c.enqueue(event('messageStart', { role: 'assistant' }));
      c.enqueue(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: texts[0] } }));
      if (opts.gate) await opts.gate;
      opts.onRest?.();
      for (const t of texts.slice(1)) c.enqueue(event('contentBlockDelta', { contentBlockIndex: 0, delta: { text: t } }));
      c.enqueue(event('contentBlockStop', { contentBlockIndex: 0 }));
      c.enqueue(event('messageStop', { stopReason: 'end_turn' }));
      c.enqueue(event('metadata', { usage: opts.usage ?? { inputTokens: 12, outputTokens: texts.length, totalTokens: 12 + texts.length }, metrics: { latencyMs: 42 } }));
      c.close();
    },
  });
}

export const streamResponse = (body: ReadableStream<Uint8Array>) =>
  new HttpResponse(body, { headers: { 'content-type': 'application/vnd.amazon.eventstream', 'x-amzn-requestid': 'req-1' } });

export function awsError(status: number, type: string, message: string) {
  return HttpResponse.json({ message }, { status, headers: { 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/`, 'x-amzn-requestid': 'req-err' } });
}
