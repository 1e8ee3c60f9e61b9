/**
 * A client for Switchyard's chat event streams (the edge's `/v1/chat`, the region's
 * `/v1/generate`): POSTs JSON and yields events as they arrive, never buffering the stream. The
 * first event must come within `firstEventMs` and no gap between events may exceed `idleMs`.
 * With `stallMs`, a server must also answer (response headers) within it, and a stream that
 * announces a heartbeat (HEARTBEAT_HEADER) may not go silent for longer, comments included: a
 * frozen server is given up on then, while a slow one that is alive keeps beating and keeps its
 * `idleMs`. Failures are SseStreamError with a kind, so each caller picks its own fallback.
 * A caller that stops once it has the `done` event leaves the connection reusable: the end of the
 * stream (sent with `done`) is read before the body is let go, as a cancelled body closes its
 * connection and the next request would open a new one (END_AFTER_DONE_MS bounds that read).
 */
import type { ChatEvent } from './chat.ts';
import { Deadline } from './deadline.ts';
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

/** How long the end of a stream is waited for once its `done` event has come (it comes with it). */
export const END_AFTER_DONE_MS = 250;

export async function* fetchEventStream(r: SseRequest): AsyncGenerator<ChatEvent> {
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort(r.signal?.reason);
  r.signal?.addEventListener('abort', onAbort, { once: true });
  let timedOut: string | null = null;
  // The event deadline (first event, then idle between events) and the stall deadline, which any
  // bytes move (armStall), events or heartbeats alike.
  const events = new Deadline(() => ((timedOut ??= 'timed out'), ctrl.abort()));
  const arm = (ms: number) => events.set(ms);
  const stall = new Deadline(() => ((timedOut ??= `stalled (nothing for ${r.stallMs} ms)`), ctrl.abort()));
  const armStall = (on: boolean) => (on && r.stallMs ? stall.set(r.stallMs) : stall.clear());
  let started = false;
  // The body was read to its end (its connection can serve another request): nothing to cancel.
  let ended = false;
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
    let last: ChatEvent['event'] | undefined;
    try {
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (e) {
          return fail(e, 'stream failed');
        }
        if (chunk.done) {
          ended = true;
          break;
        }
        armStall(beats);
        for (const ev of parser.push(dec.decode(chunk.value, { stream: true }))) {
          started = true;
          arm(r.idleMs);
          last = ev.event;
          yield ev;
        }
      }
    } finally {
      if (!ended && last === 'done' && !r.signal?.aborted) ended = await readToEnd(reader, END_AFTER_DONE_MS);
      if (!ended) reader.cancel().catch(() => {});
    }
  } finally {
    events.clear();
    stall.clear();
    r.signal?.removeEventListener('abort', onAbort);
    if (!ended) ctrl.abort();
  }
}

/** Reads what is left of a finished stream (its end) within `ms`; false if it did not end by then. */
async function readToEnd(reader: ReadableStreamDefaultReader<Uint8Array>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ms)));
  const end = (async () => {
    while (!(await reader.read()).done);
    return true;
  })().catch(() => false);
  try {
    return await Promise.race([end, late]);
  } finally {
    clearTimeout(timer);
  }
}
