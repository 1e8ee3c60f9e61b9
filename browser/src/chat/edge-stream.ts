/**
 * The widget's client for the edge's `POST /v1/chat`: yields the server-sent events (route,
 * delta…, done, error) as they arrive. Every wait has a timeout: the first event must come
 * within `firstEventMs`, and no gap between chunks may exceed `idleMs`. A network failure, a
 * timeout or a 5xx before the stream starts is an EdgeUnavailableError (the caller falls back);
 * a 4xx is an EdgeRequestError with the edge's error code.
 */
import type { ChatEvent, ChatRequest } from '../../../shared/api/chat.ts';
import { fetchEventStream, SseStreamError } from '../../../shared/api/sse-client.ts';

export interface EdgeStreamOptions {
  edgeUrl: string;
  firstEventMs?: number;
  idleMs?: number;
  signal?: AbortSignal;
  traceparent?: string;
}

export class EdgeUnavailableError extends Error {
  constructor(
    readonly code: 'EDGE_UNREACHABLE' | 'EDGE_TIMEOUT' | 'EDGE_HTTP_ERROR',
    message: string,
  ) {
    super(message);
    this.name = 'EdgeUnavailableError';
  }
}

export class EdgeRequestError extends Error {
  constructor(
    readonly code: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = 'EdgeRequestError';
  }
}

export async function* streamChat(req: ChatRequest, opts: EdgeStreamOptions): AsyncGenerator<ChatEvent> {
  const firstEventMs = opts.firstEventMs ?? 10_000;
  try {
    yield* fetchEventStream({
      url: new URL('/v1/chat', opts.edgeUrl),
      body: req,
      headers: opts.traceparent ? { traceparent: opts.traceparent } : {},
      firstEventMs,
      idleMs: opts.idleMs ?? 15_000,
      signal: opts.signal,
    });
  } catch (e) {
    if (!(e instanceof SseStreamError)) throw e;
    if (e.started) {
      yield { event: 'error', data: { code: e.kind === 'timeout' ? 'EDGE_IDLE_TIMEOUT' : 'EDGE_INTERRUPTED', message: 'the answer was interrupted' } };
      return;
    }
    if (e.kind === 'timeout') throw new EdgeUnavailableError('EDGE_TIMEOUT', `the edge did not answer within ${firstEventMs} ms`);
    if (e.kind !== 'http') throw new EdgeUnavailableError('EDGE_UNREACHABLE', `the edge is unreachable: ${e.message}`);
    const code = e.serverError?.code ?? 'EDGE_HTTP_ERROR';
    const message = e.serverError?.message ?? `the edge answered HTTP ${e.status}`;
    if ((e.status ?? 500) >= 500 || e.status === 429) throw new EdgeUnavailableError('EDGE_HTTP_ERROR', `${code}: ${message}`);
    throw new EdgeRequestError(code, e.status ?? 400, message);
  }
}

/**
 * Tells the edge about a turn the device answered (`POST /v1/sessions/:id/turns`), so its view
 * of the session is complete. Best effort: never rejects; gives up after `timeoutMs`; `keepalive`
 * lets it finish if the page is closed right after.
 */
export function reportDeviceTurn(
  edgeUrl: string,
  sessionId: string,
  turn: { message: string; answer: string; intent: string; path: 'template' | 'cache' },
  timeoutMs = 3000,
): Promise<boolean> {
  if (typeof navigator !== 'undefined' && navigator.onLine === false) return Promise.resolve(false);
  return fetch(`${edgeUrl.replace(/\/$/, '')}/v1/sessions/${encodeURIComponent(sessionId)}/turns`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ ...turn, answer: turn.answer.slice(0, 16_000) }),
    keepalive: true,
    signal: AbortSignal.timeout(timeoutMs),
  }).then(
    (r) => r.ok,
    () => false,
  );
}
