/**
 * A client for Switchyard's chat event streams (the edge's `/v1/chat`, the region's
 * `/v1/generate`): POSTs JSON and yields events as they arrive, never buffering the stream. The
 * first event must come within `firstEventMs` and no gap between events may exceed `idleMs`.
 * Failures are SseStreamError with a kind, so each caller picks its own fallback.
 */
import type { ChatEvent } from './chat.ts';
import { SseParser } from './sse.ts';

export type SseFailure = 'unreachable' | 'timeout' | 'http' | 'interrupted';

export class SseStreamError extends Error {
  constructor(
    readonly kind: SseFailure,
    message: string,
    /** True once events were already yielded (the failure is mid-answer). */
    readonly started: boolean,
    readonly status?: number,
    /** The server's `{"error": {code, message}}`, when it sent one. */
    readonly serverError?: { code?: string; message?: string },
  ) {
    super(message);
    this.name = 'SseStreamError';
  }
}

export interface SseRequest {
  url: string | URL;
  body: unknown;
  headers?: Record<string, string>;
  firstEventMs: number;
  idleMs: number;
  /** The caller's own cancellation (client gone): rethrown as is, never turned into a failure. */
  signal?: AbortSignal;
}

export async function* fetchEventStream(r: SseRequest): AsyncGenerator<ChatEvent> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(r.signal?.reason);
  r.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const arm = (ms: number) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => ((timedOut = true), ctrl.abort()), ms);
  };
  let started = false;
  const fail = (e: unknown, what: string): never => {
    if (r.signal?.aborted) throw e;
    throw new SseStreamError(timedOut ? 'timeout' : started ? 'interrupted' : 'unreachable', `${what}: ${timedOut ? 'timed out' : (e as Error).message}`, started);
  };
  try {
    arm(r.firstEventMs);
    let res: Response;
    try {
      res = await fetch(r.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'text/event-stream', ...r.headers },
        body: JSON.stringify(r.body),
        signal: ctrl.signal,
      });
    } catch (e) {
      return fail(e, 'request failed');
    }
    if (!res.ok || !res.body) {
      let serverError: { code?: string; message?: string } | undefined;
      try {
        serverError = ((await res.json()) as { error?: { code?: string; message?: string } }).error;
      } catch {
        // not the JSON error shape
      }
      throw new SseStreamError('http', `HTTP ${res.status}${serverError?.code ? ` ${serverError.code}` : ''}: ${serverError?.message ?? 'no event stream'}`, false, res.status, serverError);
    }
    const reader = res.body.getReader();
    const parser = new SseParser();
    const dec = new TextDecoder();
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          return fail(e, 'stream failed');
        }
        if (chunk.done) break;
        for (const ev of parser.push(dec.decode(chunk.value, { stream: true }))) {
          started = true;
          arm(r.idleMs);
          yield ev;
        }
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  } finally {
    if (timer !== null) clearTimeout(timer);
    r.signal?.removeEventListener('abort', onAbort);
    ctrl.abort();
  }
}
