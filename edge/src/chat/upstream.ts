/**
 * Calls the region's `/v1/generate` and yields its events as they arrive (shared/api/sse-client),
 * with a deadline for the first event, an idle deadline between events and a shorter stall
 * deadline on a region that beats (a frozen one is failed over long before the idle deadline; a
 * slow one that beats keeps the idle deadline). Never buffers. With
 * several regions, which one answers and how a failed one is continued: region-failover.ts.
 */
import type { ChatEvent, GenerateRequest } from '../../../shared/api/chat.ts';
import { fetchEventStream, SseStreamError } from '../../../shared/api/sse-client.ts';
import { streamAcrossRegions } from './region-failover.ts';

export interface UpstreamOptions {
  baseUrl: string;
  /** The regions in order of preference (REGIONAL_URLS); default [baseUrl]. */
  baseUrls?: string[];
  apiKey?: string;
  traceparent: string;
  /** The caller's W3C tracestate, forwarded unchanged with traceparent. */
  tracestate?: string;
  firstEventMs: number;
  idleMs: number;
  /** Longest silence of a region that announced a heartbeat (and before its response headers); 0: none. */
  stallMs?: number;
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
    /** The region's HTTP status, when it answered with an error status. */
    readonly status?: number,
  ) {
    super(message);
  }
}

export function streamFromRegion(req: GenerateRequest, o: UpstreamOptions): AsyncGenerator<ChatEvent> {
  const urls = o.baseUrls?.length ? o.baseUrls : [o.baseUrl];
  // One region: nothing to fail over to, so its stream is handed on as it is (streamAcrossRegions
  // would pass every event through unchanged, one more generator step per event, and raise its
  // failure as is). Fewer objects live through an answer's wait, so fewer reach V8's old space.
  if (urls.length === 1) return streamOneRegion(req, { ...o, baseUrl: urls[0] });
  return streamAcrossRegions(req, urls, (r, baseUrl) => streamOneRegion(r, { ...o, baseUrl }));
}

async function* streamOneRegion(req: GenerateRequest, o: UpstreamOptions): AsyncGenerator<ChatEvent> {
  try {
    for await (const ev of fetchEventStream({
      url: new URL('/v1/generate', o.baseUrl),
      body: req,
      headers: { traceparent: o.traceparent, ...(o.tracestate ? { tracestate: o.tracestate } : {}), ...(o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {}) },
      firstEventMs: o.firstEventMs,
      idleMs: o.idleMs,
      stallMs: o.stallMs,
      signal: o.signal,
    })) {
      yield ev;
      if (ev.event === 'done') return;
    }
  } catch (e) {
    if (!(e instanceof SseStreamError)) throw e;
    const fallback =
      e.kind === 'timeout' ? 'region_timeout' : e.kind === 'unreachable' ? 'region_unavailable' : e.status === 429 ? 'region_throttled' : 'region_error';
    throw new UpstreamError(`region: ${e.message}`, fallback, e.started, e.status);
  }
  throw new UpstreamError('region stream ended without a done event', 'region_error', true);
}
