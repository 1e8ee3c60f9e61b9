/**
 * A chat event stream (the edge's /v1/chat, the region's /v1/generate) read event by event, so a
 * test can act (kill or freeze the region, cut its database) once the answer is under way and
 * then read how it ended.
 */
import { SseParser, type ChatEvent, type DoneEvent, type RouteEvent } from '../../shared/api/chat.ts';

export interface ChatStream {
  status: number;
  /** Resolves with the events so far once one matches. */
  until(match: (e: ChatEvent) => boolean): Promise<ChatEvent[]>;
  /** Reads to the end: every event, the answer's text, the route and done events, the error event (if any). */
  end(): Promise<{ events: ChatEvent[]; text: string; route?: RouteEvent; done?: DoneEvent; error?: { code: string; message: string } }>;
}

/** POST /v1/chat at the edge. */
export const chatStream = (edgeUrl: string, message: string, sessionId: string) => eventStream(`${edgeUrl}/v1/chat`, { message, sessionId });

/** POSTs `body` as JSON to `url` and reads the chat events it streams back. */
export async function eventStream(url: string, body: unknown, headers: Record<string, string> = {}): Promise<ChatStream> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const parser = new SseParser();
  const events: ChatEvent[] = [];
  let finished = false;
  const more = async () => {
    const { value, done } = await reader.read();
    if (done) finished = true;
    else events.push(...parser.push(value));
  };
  return {
    status: res.status,
    async until(match) {
      while (!events.some(match)) {
        if (finished) throw new Error(`the stream ended before the awaited event: ${JSON.stringify(events).slice(0, 500)}`);
        await more();
      }
      return [...events];
    },
    async end() {
      while (!finished) await more();
      const of = <T>(name: string) => events.find((e) => e.event === name)?.data as T | undefined;
      return {
        events,
        text: events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text).join(''),
        route: of<RouteEvent>('route'),
        done: of<DoneEvent>('done'),
        error: of<{ code: string; message: string }>('error'),
      };
    },
  };
}
