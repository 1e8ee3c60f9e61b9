/**
 * Calls the region's `/v1/generate` and yields its events as they arrive, with a deadline for the
 * first event and an idle deadline between events. Never buffers the stream.
 */
import { SseParser, type ChatEvent, type GenerateRequest } from '../../../shared/api/chat.ts';

export interface UpstreamOptions {
  baseUrl: string;
  apiKey?: string;
  traceparent: string;
  firstEventMs: number;
  idleMs: number;
  /** Aborts the upstream call when the client goes away. */
  signal?: AbortSignal;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    /** region_timeout | region_unavailable | region_error */
    readonly fallback: string,
    /** True once some of the region's events were already passed on. */
    readonly midStream = false,
  ) {
    super(message);
  }
}

export async function* streamFromRegion(req: GenerateRequest, o: UpstreamOptions): AsyncGenerator<ChatEvent> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  o.signal?.addEventListener('abort', onAbort);
  let timedOut = false;
  let timer = setTimeout(() => ((timedOut = true), ctrl.abort()), o.firstEventMs);
  const rearm = (ms: number) => {
    clearTimeout(timer);
    timer = setTimeout(() => ((timedOut = true), ctrl.abort()), ms);
  };
  let seen = 0;
  try {
    let res: Response;
    try {
      res = await fetch(new URL('/v1/generate', o.baseUrl), {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'text/event-stream',
          traceparent: o.traceparent,
          ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}),
        },
        body: JSON.stringify(req),
        signal: ctrl.signal,
      });
    } catch (e) {
      throw new UpstreamError(`region unreachable: ${(e as Error).message}`, timedOut ? 'region_timeout' : 'region_unavailable');
    }
    if (!res.ok || !res.body) {
      const detail = await res.text().catch(() => '');
      throw new UpstreamError(`region answered ${res.status} ${detail.slice(0, 200)}`, res.status === 429 ? 'region_throttled' : 'region_error');
    }
    const parser = new SseParser();
    const decoder = new TextDecoder();
    const reader = res.body.getReader();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          throw new UpstreamError(`region stream failed: ${(e as Error).message}`, timedOut ? 'region_timeout' : 'region_error', seen > 0);
        }
        if (chunk.done) break;
        for (const ev of parser.push(decoder.decode(chunk.value, { stream: true }))) {
          seen++;
          rearm(o.idleMs);
          yield ev;
          if (ev.event === 'done') return;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
    throw new UpstreamError('region stream ended without a done event', 'region_error', seen > 0);
  } finally {
    clearTimeout(timer);
    o.signal?.removeEventListener('abort', onAbort);
    ctrl.abort();
  }
}
