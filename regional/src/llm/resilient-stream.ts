/**
 * The failure handling every remote generation backend shares: a time-to-first-token timeout and
 * a total timeout, retries with full-jitter exponential backoff on throttling and 5xx, failover to
 * the next target (another region or server), and a circuit breaker per target.
 *
 * Policy: no text is ever sent twice. Before an attempt's first text delta, a failure is retried
 * on the same target (throttling, 5xx) or fails over to the next; chunks that arrive before the
 * first delta are held back, so a failed attempt leaves no trace in the output. After text has
 * streamed, the same text is never retried: the answer is *continued* on the next target (never
 * the one that failed), which is given the text so far as an assistant prefill (`open`'s
 * `prefill`), and only the new text is passed on, with any repeat at the seam removed (seam.ts).
 * A `continued` chunk marks the seam (with the cut attempt's lengths when it never reported its
 * usage, so its tokens can still be counted). With no target left, the error ends the stream.
 * A successful stream starts with one `meta` chunk naming the model and region that answered first.
 */
import { CircuitBreakerRegistry, type BreakerOptions } from './circuit-breaker.ts';
import { SeamFilter } from './seam.ts';
import { LlmError, type LlmChunk } from './types.ts';

export interface StreamTarget {
  /** Circuit-breaker key, e.g. "bedrock|eu-west-1|anthropic.claude-3-5-haiku". */
  key: string;
  model: string;
  region?: string;
  /**
   * One attempt. Must stop (throw or end) when `signal` aborts. `prefill`: the answer so far,
   * which this attempt must continue (a final assistant message, or the server's equivalent).
   */
  open(signal: AbortSignal, prefill?: string): AsyncIterable<LlmChunk>;
}

export type ResilienceEvent =
  | { type: 'retry'; key: string; attempt: number; delayMs: number; error: LlmError }
  | { type: 'failover'; from: string; error: LlmError }
  | { type: 'midstream_failover'; from: string; error: LlmError }
  | { type: 'circuit_open'; key: string };

export interface ResilienceOptions {
  /** From the start of an attempt until its first text delta. */
  firstTokenTimeoutMs: number;
  /** From the first `next()` until the stream ends, across all attempts and back-off sleeps. */
  totalTimeoutMs: number;
  /** Extra attempts per target on THROTTLED/UNAVAILABLE before failing over. */
  retries: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  breakers: CircuitBreakerRegistry;
  /** Maps whatever an attempt threw to an LlmError. */
  classify(err: unknown): LlmError;
  random?: () => number;
  onEvent?: (e: ResilienceEvent) => void;
}

/** The failure-handling settings of a backend's config; resilienceOptions fills in the defaults. */
export interface ResilienceSettings {
  /** Per attempt, until the first text delta (covers connect and response headers). Default 10 s. */
  firstTokenTimeoutMs?: number;
  /** Whole generation including retries and failover. Default 60 s. */
  totalTimeoutMs?: number;
  /** Extra attempts per target (region or server) on throttling/5xx. Default 2. */
  retries?: number;
  /** Back-off base and cap. Default 200 ms and 2 s. */
  backoffBaseMs?: number;
  backoffCapMs?: number;
  /** Options for the per-target breakers, or a shared registry. */
  breaker?: BreakerOptions | CircuitBreakerRegistry;
  random?: () => number;
  onEvent?: (e: ResilienceEvent) => void;
}

export const DEFAULT_FIRST_TOKEN_TIMEOUT_MS = 10_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 60_000;

/** The settings' shared breaker registry, or a new one with their breaker options. */
export function breakerRegistry(s: ResilienceSettings): CircuitBreakerRegistry {
  return s.breaker instanceof CircuitBreakerRegistry ? s.breaker : new CircuitBreakerRegistry(s.breaker);
}

/** The settings with their defaults, for resilientStream. */
export function resilienceOptions(s: ResilienceSettings, breakers: CircuitBreakerRegistry, classify: (err: unknown) => LlmError): ResilienceOptions {
  return {
    firstTokenTimeoutMs: s.firstTokenTimeoutMs ?? DEFAULT_FIRST_TOKEN_TIMEOUT_MS,
    totalTimeoutMs: s.totalTimeoutMs ?? DEFAULT_TOTAL_TIMEOUT_MS,
    retries: s.retries ?? 2,
    backoffBaseMs: s.backoffBaseMs ?? 200,
    backoffCapMs: s.backoffCapMs ?? 2_000,
    breakers,
    classify,
    random: s.random,
    onEvent: s.onEvent,
  };
}

/** Full jitter: uniform in [0, min(cap, base·2^attempt)]. */
export function fullJitterDelay(attempt: number, baseMs: number, capMs: number, random: () => number = Math.random): number {
  return Math.floor(random() * Math.min(capMs, baseMs * 2 ** attempt));
}

/**
 * Streams from the first target that answers (see the policy above). `prefill`: text the caller
 * already has, which the first attempt continues (the caller removes any repeat at that seam).
 * The attempt loop is one body on purpose: its timers, permit and teardown share one lifetime.
 */
export async function* resilientStream(
  targets: StreamTarget[],
  opts: ResilienceOptions,
  callerSignal?: AbortSignal,
  prefill = '',
): AsyncGenerator<LlmChunk> {
  if (targets.length === 0) throw new LlmError('no upstream configured', 'UNAVAILABLE', false);
  if (callerSignal?.aborted) throw abortedError(callerSignal);
  const random = opts.random ?? Math.random;
  const total = new AbortController();
  const totalTimer = setTimeout(
    () => total.abort(new LlmError(`no complete answer within ${opts.totalTimeoutMs} ms`, 'TIMEOUT', true)),
    opts.totalTimeoutMs,
  );
  const onCallerAbort = () => total.abort(abortedError(callerSignal!));
  callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const outcomes: string[] = [];
  let lastError: LlmError | undefined;
  /** The meta chunk (and held chunks) went out: the stream has started. */
  let emitted = false;
  /** Text this stream passed on, which a continuation must carry on from. */
  let streamed = '';

  try {
    for (const target of targets) {
      const breaker = opts.breakers.get(target.key);
      for (let attempt = 0; ; attempt++) {
        if (total.signal.aborted) throw total.signal.reason;
        const permit = breaker.tryAcquire();
        if (!permit) {
          lastError = new LlmError(`circuit open for ${target.key}`, 'CIRCUIT_OPEN', false);
          opts.onEvent?.({ type: 'circuit_open', key: target.key });
          break;
        }
        const attemptCtl = new AbortController();
        const onTotal = () => attemptCtl.abort(total.signal.reason);
        total.signal.addEventListener('abort', onTotal, { once: true });
        const ttft = setTimeout(
          () => attemptCtl.abort(new LlmError(`no first token from ${target.key} within ${opts.firstTokenTimeoutMs} ms`, 'TIMEOUT', true)),
          opts.firstTokenTimeoutMs,
        );
        let it: AsyncIterator<LlmChunk> | undefined;
        let finished = false;
        let settled = false;
        /** This attempt has produced text (a failure now is mid-stream). */
        let started = false;
        /** What this attempt produced (before the seam: what its target bills) and whether it reported usage. */
        let produced = 0;
        let reported = false;
        const attemptPrefill = (prefill + streamed).length;
        // A continuation of this stream's own text: only what is new passes the seam.
        const seam = streamed ? new SeamFilter(prefill + streamed) : null;
        const pass = (text: string): LlmChunk[] => {
          if (!text) return [];
          streamed += text;
          return [{ type: 'delta', text }];
        };
        try {
          it = target.open(attemptCtl.signal, prefill + streamed || undefined)[Symbol.asyncIterator]();
          const held: LlmChunk[] = [];
          for (;;) {
            const r = await nextOrAbort(it, attemptCtl.signal);
            if (r.done) break;
            const chunk = r.value;
            if (chunk.type !== 'delta') {
              if (chunk.type === 'usage') reported = true;
              if (emitted) yield chunk;
              else held.push(chunk);
              continue;
            }
            if (chunk.text === '') continue;
            produced += chunk.text.length;
            if (!started) {
              started = true;
              clearTimeout(ttft);
            }
            if (!emitted) {
              emitted = true;
              yield { type: 'meta', model: target.model, ...(target.region ? { region: target.region } : {}) };
              for (const h of held.splice(0)) yield h;
            }
            yield* pass(seam ? seam.push(chunk.text) : chunk.text);
          }
          if (seam) yield* pass(seam.end());
          finished = true;
          if (!emitted) yield { type: 'meta', model: target.model, ...(target.region ? { region: target.region } : {}) };
          for (const h of held) yield h;
          settled = true;
          permit.success();
          return;
        } catch (raw) {
          const reason = attemptCtl.signal.aborted ? attemptCtl.signal.reason : undefined;
          const err = reason instanceof LlmError ? reason : raw instanceof LlmError ? raw : opts.classify(raw);
          settled = true;
          if (err.code === 'ABORTED' || err.code === 'BAD_REQUEST') {
            permit.release();
            throw err;
          }
          permit.failure();
          if (total.signal.aborted) throw err;
          lastError = err;
          outcomes.push(`${target.key}: ${err.code} (${err.message})`);
          if (started) {
            // Text has streamed: never this text again here; the next target continues it.
            opts.onEvent?.({ type: 'midstream_failover', from: target.key, error: err });
            yield { type: 'continued', from: target.key, error: err.code, ...(reported ? {} : { unreported: { prefillChars: attemptPrefill, outputChars: produced } }) };
            break;
          }
          const sameTargetAgain =
            err.retryable && (err.code === 'THROTTLED' || err.code === 'UNAVAILABLE') && attempt < opts.retries && breaker.state === 'closed';
          if (!sameTargetAgain) {
            opts.onEvent?.({ type: 'failover', from: target.key, error: err });
            break;
          }
          let delayMs = fullJitterDelay(attempt, opts.backoffBaseMs, opts.backoffCapMs, random);
          if (err.retryAfterMs !== undefined) delayMs = Math.max(delayMs, Math.min(err.retryAfterMs, opts.backoffCapMs));
          opts.onEvent?.({ type: 'retry', key: target.key, attempt: attempt + 1, delayMs, error: err });
          await sleep(delayMs, total.signal);
        } finally {
          clearTimeout(ttft);
          total.signal.removeEventListener('abort', onTotal);
          if (!finished) {
            // the consumer stopped early or the attempt failed: tear the connection down
            // return() first: a suspended attempt runs its own cleanup (cancelling the body reader)
            // before the abort tears the connection down
            void Promise.resolve(it?.return?.()).catch(() => {});
            attemptCtl.abort(new LlmError('attempt abandoned', 'ABORTED', false));
          }
          // the consumer stopped iterating (return() during a yield): text already shown is a success
          if (!settled) {
            if (started) permit.success();
            else permit.release();
          }
        }
      }
    }
    const all = lastError ?? new LlmError('no upstream answered', 'UNAVAILABLE', true);
    throw new LlmError(
      `all upstreams failed: ${outcomes.length ? outcomes.join('; ') : all.message}`,
      all.code,
      all.retryable,
      { cause: all, status: all.status },
    );
  } finally {
    clearTimeout(totalTimer);
    callerSignal?.removeEventListener('abort', onCallerAbort);
  }
}

function abortedError(signal: AbortSignal): LlmError {
  return new LlmError('the caller aborted the request', 'ABORTED', false, { cause: signal.reason });
}

function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T>> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    it.next().then(
      (r) => {
        signal.removeEventListener('abort', onAbort);
        resolve(r);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** Resolves after `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
