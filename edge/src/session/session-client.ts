/**
 * The chat pipeline's handle on one session's Durable Object, for one turn (its id made here):
 * `open` is awaited on the request path with a short timeout and rejects when the store is
 * missing, failing or slow, so the pipeline answers single-turn and marks `session_unavailable`;
 * a message that needs no context skips `open` and only records its turn; `record` and `finish`
 * run in the background (ctx.waitUntil) and only count their failures. Calls through one stub
 * arrive in the order they were sent (E-order), so a turn's begin precedes its record and its
 * record its finish. Never throws into a request.
 */
import type { SessionTurn } from '../../../shared/conversation/session-turns.ts';
import type { SessionStore } from './session-object.ts';
import { edgeMetrics } from '../http/metrics.ts';
import { UnacknowledgedWrites, withUnacknowledged } from './unacknowledged-writes.ts';

export interface SessionPort {
  /** Earlier turns of this session, oldest first. Rejects when the store is unreachable or slow. */
  open(): Promise<SessionTurn[]>;
  /** Records this request's turn (unless `open` failed); in the background. */
  record(turn: Omit<SessionTurn, 'id'>): void;
  /** Completes this request's turn with its final path and answer; in the background. */
  finish(patch: { path: string; answer: string }): void;
}

export interface SessionClientOptions {
  /** Time `open` gets before the request goes on single-turn (SESSION_TIMEOUT_MS). */
  timeoutMs: number;
  background: (p: Promise<unknown>) => void;
  onError?: (op: 'open' | 'record' | 'finish', e: unknown) => void;
}

/** Background writes get longer than reads: they hold up nobody. */
const WRITE_TIMEOUT_MS = 5000;

/** This isolate's session writes on their way (read-your-writes without waiting for them). */
const unacknowledged = new UnacknowledgedWrites();
edgeMetrics.trackEntries('session_writes_unacknowledged', () => unacknowledged.size);

export function durableSession(ns: DurableObjectNamespace<SessionStore> | undefined, sessionId: string, opts: SessionClientOptions): SessionPort {
  const stub = ns?.get(ns.idFromName(sessionId));
  const turnId = crypto.randomUUID();
  let failed = false;
  // Writes go out on a later turn of the event loop, after the response they belong to.
  const inBackground = (op: 'record' | 'finish', turn: Partial<SessionTurn>, run: () => Promise<unknown>) => {
    const acknowledged = unacknowledged.sent(sessionId, turnId, turn);
    opts.background(
      new Promise((r) => setTimeout(r, 0))
        .then(() => withTimeout(run(), WRITE_TIMEOUT_MS, `session ${op}`))
        .catch((e) => opts.onError?.(op, e))
        .finally(acknowledged),
    );
  };
  return {
    async open() {
      if (!stub) throw new Error('no SESSIONS Durable Object binding');
      // What this isolate wrote and the object may not have yet, as the read goes out and as it returns.
      const sent = unacknowledged.pending(sessionId);
      const r = stub.begin(turnId);
      try {
        const { turns } = await withTimeout(r, opts.timeoutMs, 'session open');
        return withUnacknowledged(turns as SessionTurn[], new Map([...sent, ...unacknowledged.pending(sessionId)]));
      } catch (e) {
        failed = true;
        // A late answer still holds a pending slot in the object: release it so later turns do not wait.
        opts.background(r.then(() => stub.release(turnId)).catch(() => undefined));
        opts.onError?.('open', e);
        throw e;
      }
    },
    record(turn) {
      if (!stub) return opts.onError?.('record', new Error('no SESSIONS Durable Object binding'));
      if (failed) return;
      const t = { ...turn, id: turnId } as SessionTurn;
      inBackground('record', t, () => stub.record(t));
    },
    finish(patch) {
      if (!stub || failed) return;
      inBackground('finish', patch, () => stub.finish(turnId, patch));
    },
  };
}

/**
 * Rejects when `p` takes longer than `ms`. (cockatiel's timeout policy cannot be used here: the
 * library aborts an AbortController at module load, which workerd refuses in global scope.)
 */
function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms`)), ms)));
  return Promise.race([p, late]).finally(() => timer !== undefined && clearTimeout(timer));
}
