/**
 * A client for Switchyard's chat event streams (the edge's `/v1/chat`, the region's
 * `/v1/generate`): POSTs JSON and yields events as they arrive, never buffering the stream. The
 * first event must come within `firstEventMs` and no gap between events may exceed `idleMs`.
 * With `stallMs`, a server must also answer (response headers) within it, and a stream that
 * announces a heartbeat (HEARTBEAT_HEADER) may not go silent for longer, comments included: a
 * frozen server is given up on then, while a slow one that is alive keeps beating and keeps its
 * `idleMs`. Failures are SseStreamError with a kind, so each caller picks its own fallback.
 */
import type { ChatEvent } from './chat.ts';
import { HEARTBEAT_HEADER, SseParser } from './sse.ts';

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
  /** Longest silence (no bytes at all) before the response headers, and after them on a stream that announces a heartbeat. 0 or absent: none. */
  stallMs?: number;
  /** The caller's own cancellation (client gone): rethrown as is, never turned into a failure. */
  signal?: AbortSignal;
}

export async function* fetchEventStream(r: SseRequest): AsyncGenerator<ChatEvent> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(r.signal?.reason);
  r.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut: string | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const arm = (ms: number) => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(() => ((timedOut ??= 'timed out'), ctrl.abort()), ms);
  };
  // The stall deadline: any bytes re-arm it (armStall), events or heartbeats alike.
  let stall: ReturnType<typeof setTimeout> | null = null;
  const armStall = (on: boolean) => {
    if (stall !== null) clearTimeout(stall);
    stall = on && r.stallMs ? setTimeout(() => ((timedOut ??= `stalled (nothing for ${r.stallMs} ms)`), ctrl.abort()), r.stallMs) : null;
  };
  let started = false;
  const fail = (e: unknown, what: string): never => {
    if (r.signal?.aborted) throw e;
    throw new SseStreamError(timedOut ? 'timeout' : started ? 'interrupted' : 'unreachable', `${what}: ${timedOut ?? (e as Error).message}`, started);
  };
  try {
    arm(r.firstEventMs);
    armStall(true);
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
    const beats = !!res.headers.get(HEARTBEAT_HEADER);
    armStall(beats);
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
        armStall(beats);
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
    armStall(false);
    r.signal?.removeEventListener('abort', onAbort);
    ctrl.abort();
  }
}
