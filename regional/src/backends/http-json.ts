/** JSON over fetch with a timeout on every call and errors mapped to BackendError codes. */
import { BackendError } from './types.ts';

export interface HttpJsonOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  headers?: Record<string, string>;
  fetch?: typeof fetch;
}

/** Runs `fn` with a signal that aborts on the caller's signal or after `timeoutMs`, mapping both. */
export async function withTimeout<T>(what: string, timeoutMs: number, signal: AbortSignal | undefined, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw new BackendError(`${what}: aborted by the caller`, 'ABORTED', false, { cause: signal.reason });
  const timeout = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
  try {
    return await fn(combined);
  } catch (err) {
    if (err instanceof BackendError) throw err;
    if (signal?.aborted) throw new BackendError(`${what}: aborted by the caller`, 'ABORTED', false, { cause: err });
    if (timeout.aborted) throw new BackendError(`${what}: no answer within ${timeoutMs} ms`, 'TIMEOUT', true, { cause: err });
    const e = err as { message?: string; cause?: { code?: string; message?: string } };
    throw new BackendError(`${what}: ${e?.cause?.code ?? e?.cause?.message ?? e?.message ?? String(err)}`, 'UNAVAILABLE', true, { cause: err });
  }
}

export function errorForStatus(what: string, status: number, detail: string): BackendError {
  const msg = `${what}: HTTP ${status}${detail ? `: ${detail.slice(0, 300)}` : ''}`;
  if (status === 429) return new BackendError(msg, 'THROTTLED', true, { status });
  if (status === 408 || status === 504) return new BackendError(msg, 'TIMEOUT', true, { status });
  if (status >= 500) return new BackendError(msg, 'UNAVAILABLE', true, { status });
  if (status === 400 || status === 413 || status === 422) return new BackendError(msg, 'BAD_REQUEST', false, { status });
  return new BackendError(msg, 'UNAVAILABLE', false, { status });
}

/** POSTs JSON and returns the parsed JSON answer; the timeout covers reading the body too. */
export function postJson<T>(what: string, url: string, body: unknown, o: HttpJsonOptions): Promise<T> {
  return withTimeout(what, o.timeoutMs, o.signal, async (signal) => {
    const res = await (o.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...o.headers },
      body: JSON.stringify(body),
      signal,
    });
    const text = await res.text();
    if (!res.ok) throw errorForStatus(what, res.status, errorDetail(text));
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new BackendError(`${what}: answer is not JSON: ${text.slice(0, 200)}`, 'BAD_RESPONSE', true, { status: res.status });
    }
  });
}

/** GET that only looks at the status: true for 2xx. */
export function getOk(what: string, url: string, o: HttpJsonOptions): Promise<boolean> {
  return withTimeout(what, o.timeoutMs, o.signal, async (signal) => {
    const res = await (o.fetch ?? fetch)(url, { headers: { ...o.headers }, signal });
    await res.body?.cancel().catch(() => {});
    return res.ok;
  });
}

/** KServe and Triton put the reason in `{"error": "..."}`. */
function errorDetail(text: string): string {
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof j.error === 'string') return j.error;
    if (typeof j.message === 'string') return j.message;
  } catch {
    // not JSON: use the text as is
  }
  return text;
}
