/**
 * Serving a chat event stream over HTTP, the same way on the edge and in the region: as
 * server-sent events (`sseStream`), or collected into one JSON reply when the client asked for
 * `application/json` only (`wantsJson`, `collectEvents`).
 */
import { encodeSse, type ChatEvent, type DeltaEvent, type DoneEvent, type RouteEvent } from './chat.ts';

export function wantsJson(accept: string | null | undefined): boolean {
  if (!accept) return false;
  return /application\/json/i.test(accept) && !/text\/event-stream/i.test(accept);
}

export interface CollectedEvents {
  route?: RouteEvent;
  text: string;
  done?: DoneEvent;
  /** The data of every `error` event, in order. */
  errors: unknown[];
}

export async function collectEvents(events: AsyncIterable<ChatEvent>): Promise<CollectedEvents> {
  const out: CollectedEvents = { text: '', errors: [] };
  for await (const e of events) {
    if (e.event === 'route') out.route = e.data;
    else if (e.event === 'delta') out.text += (e.data as DeltaEvent).text;
    else if (e.event === 'done') out.done = e.data;
    else out.errors.push(e.data);
  }
  return out;
}

/**
 * How many frames an event stream may hold that its reader has not taken yet (the edge's and the
 * region's SSE bodies). With the default (one) the source was read only when the reader asked: at
 * the edge, a region's first text waited until the route frame had gone out to the client, though
 * it had already arrived. A few frames ahead, the next event is read as soon as it is there; the
 * source still stops when the client goes away (cancel), and a slow client holds at most these.
 */
export const READ_AHEAD = new CountQueuingStrategy({ highWaterMark: 8 });

export interface SseStreamOptions {
  /** Runs after the last event and before the stream closes (e.g. persisting the turn). */
  onEnd?: () => Promise<void>;
  /** Told about a failure of the event source; the client gets an INTERNAL error event. */
  onError?: (e: unknown) => void;
  /** Sends `: keep-alive` every this many ms while the stream is open (see HEARTBEAT_HEADER in sse.ts); 0 or absent: none. */
  heartbeatMs?: number;
}

/**
 * Encodes events as they are pulled; a client that goes away stops the source. An event that
 * arrives after the client left is dropped, not reported as a failure (the stream is closed).
 */
export function sseStream(events: AsyncGenerator<ChatEvent>, opts: SseStreamOptions = {}): ReadableStream<Uint8Array> {
  const enc = new TextEncoder();
  let cancelled = false;
  let closed = false;
  let heartbeat: ReturnType<typeof setInterval> | undefined;
  const close = (controller: ReadableStreamDefaultController<Uint8Array>) => {
    clearInterval(heartbeat);
    closed = true;
    controller.close();
  };
  return new ReadableStream<Uint8Array>(
    {
      start(controller) {
        // A timer, not the event source: a server that is alive keeps beating while a stage works.
        if (opts.heartbeatMs) heartbeat = setInterval(() => !closed && !cancelled && controller.enqueue(enc.encode(': keep-alive\n\n')), opts.heartbeatMs);
      },
      async pull(controller) {
        try {
          const { value, done } = await events.next();
          if (done) {
            clearInterval(heartbeat);
            await opts.onEnd?.();
            if (!cancelled) close(controller);
          } else if (!cancelled) controller.enqueue(enc.encode(encodeSse(value)));
        } catch (e) {
          clearInterval(heartbeat);
          if (cancelled) return;
          opts.onError?.(e);
          controller.enqueue(enc.encode(encodeSse({ event: 'error', data: { code: 'INTERNAL', message: 'internal error' } })));
          close(controller);
        }
      },
      async cancel() {
        cancelled = true;
        clearInterval(heartbeat);
        await events.return(undefined);
      },
    },
    READ_AHEAD,
  );
}
