/**
 * The chat pipeline's handle on one session's Durable Object: `open` is awaited on the request
 * path with a short timeout and rejects when the store is missing, failing or slow, so
 * the pipeline answers single-turn and marks `session_unavailable`; `record` and `finish` run in
 * the background (ctx.waitUntil) and only log their failures. Never throws into a request.
 */
import type { SessionTurn } from '../../../shared/conversation/session-turns.ts';
import type { SessionStore } from './session-object.ts';

export interface SessionPort {
  /** Earlier turns of this session, oldest first. Rejects when the store is unreachable or slow. */
  open(): Promise<SessionTurn[]>;
  /** Records this request's turn (once `open` succeeded); in the background. */
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

export function durableSession(ns: DurableObjectNamespace<SessionStore> | undefined, sessionId: string, opts: SessionClientOptions): SessionPort {
  const stub = ns?.get(ns.idFromName(sessionId));
  let turnId: string | null = null;
  const writing = (op: 'record' | 'finish', run: () => Promise<unknown>) =>
    opts.background(
      withTimeout(run(), WRITE_TIMEOUT_MS, `session ${op}`).catch((e) => opts.onError?.(op, e)),
    );
  return {
    async open() {
      if (!stub) throw new Error('no SESSIONS Durable Object binding');
      const begun = stub.begin();
      try {
        const r = await withTimeout(begun, opts.timeoutMs, 'session open');
        turnId = r.turnId;
        return r.turns as SessionTurn[];
      } catch (e) {
        // A late answer still holds a pending slot in the object: release it so later turns do not wait.
        opts.background(begun.then((r) => stub.release(r.turnId)).catch(() => undefined));
        opts.onError?.('open', e);
        throw e;
      }
    },
    record(turn) {
      if (!stub || !turnId) return;
      const t = { ...turn, id: turnId } as SessionTurn;
      writing('record', () => stub.record(t));
    },
    finish(patch) {
      if (!stub || !turnId) return;
      const id = turnId;
      writing('finish', () => stub.finish(id, patch));
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
