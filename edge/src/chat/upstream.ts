/**
 * Calls the region's `/v1/generate` and yields its events as they arrive (shared/api/sse-client),
 * with a deadline for the first event and an idle deadline between events. Never buffers.
 */
import type { ChatEvent, GenerateRequest } from '../../../shared/api/chat.ts';
import { fetchEventStream, SseStreamError } from '../../../shared/api/sse-client.ts';

export interface UpstreamOptions {
  baseUrl: string;
  apiKey?: string;
  traceparent: string;
  /** The caller's W3C tracestate, forwarded unchanged with traceparent. */
  tracestate?: string;
  firstEventMs: number;
  idleMs: number;
  /** Aborts the upstream call when the client goes away. */
  signal?: AbortSignal;
}

export class UpstreamError extends Error {
  constructor(
    message: string,
    /** region_timeout | region_unavailable | region_throttled | region_error */
    readonly fallback: string,
    /** True once some of the region's events were already passed on. */
    readonly midStream = false,
  ) {
    super(message);
  }
}

export async function* streamFromRegion(req: GenerateRequest, o: UpstreamOptions): AsyncGenerator<ChatEvent> {
  try {
    for await (const ev of fetchEventStream({
      url: new URL('/v1/generate', o.baseUrl),
      body: req,
      headers: { traceparent: o.traceparent, ...(o.tracestate ? { tracestate: o.tracestate } : {}), ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
      firstEventMs: o.firstEventMs,
      idleMs: o.idleMs,
      signal: o.signal,
    })) {
      yield ev;
      if (ev.event === 'done') return;
    }
  } catch (e) {
    if (!(e instanceof SseStreamError)) throw e;
    const fallback =
      e.kind === 'timeout' ? 'region_timeout' : e.kind === 'unreachable' ? 'region_unavailable' : e.status === 429 ? 'region_throttled' : 'region_error';
    throw new UpstreamError(`region: ${e.message}`, fallback, e.started);
  }
  throw new UpstreamError('region stream ended without a done event', 'region_error', true);
}
