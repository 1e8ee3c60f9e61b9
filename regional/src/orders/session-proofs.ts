/**
 * What a session has shown about an order (ORDER_VERIFY=email, docs/orders.md): that it gave the
 * email the order was placed with (a proof, so the session's follow-ups about that order are
 * answered without asking again), and how many emails it gave for the order (so guessing stops
 * after `maxAttempts`). Kept in the region's store, in the row of (session id, order id), so every
 * region instance on the database honours it; never the email, never the record: the ids and two
 * times. A proof lasts `ttlMs` (the session's idle time, SESSION_IDLE_MS) from the turn that gave
 * the email, so it never outlives the session; it is not extended by use. Attempts count within
 * `ttlMs` of the previous one; the count is taken in the same statement that adds the attempt, so
 * concurrent guesses cannot all pass the limit. Refuses nothing itself: a store that fails or is
 * slower than `timeoutMs` rejects, and the caller degrades (asks again; checks the email unremembered).
 */
import { withTimeout } from '../generate/stages/run.ts';
import type { OrderCheckStore } from '../store/types.ts';

/** What the session may do about the order now: `proven` (answered without an email), `open` (asked), `locked` (refused). */
export type Standing = 'proven' | 'open' | 'locked';

export interface OrderProofsOptions {
  store: OrderCheckStore;
  /** How long a proof and an attempt count last: the session's idle time (SESSION_IDLE_MS). */
  ttlMs: number;
  /** Emails a session may give for one order within `ttlMs` (ORDER_VERIFY_MAX_ATTEMPTS). */
  maxAttempts: number;
  /** Budget of each store call (HISTORY_TIMEOUT_MS, as the session's other reads). */
  timeoutMs: number;
  now?: () => number;
}

/** Expired rows are deleted at most this often, after a write. */
const PRUNE_EVERY_MS = 60_000;

export class OrderProofs {
  private prunedAt = 0;

  constructor(private readonly o: OrderProofsOptions) {}

  private now(): number {
    return (this.o.now ?? Date.now)();
  }

  /** The session's standing with the order, read before anything else is done. */
  async standing(sessionId: string, orderId: string): Promise<Standing> {
    const row = await withTimeout(this.o.store.getOrderCheck(sessionId, orderId), this.o.timeoutMs, 'order check');
    const since = this.now() - this.o.ttlMs;
    if (row?.provenAt && row.provenAt.getTime() >= since) return 'proven';
    if (row && row.attempts >= this.o.maxAttempts && (row.attemptedAt?.getTime() ?? 0) >= since) return 'locked';
    return 'open';
  }

  /** Counts an email given for the order: `locked` when it is one more than the session may give (then nothing is checked). */
  async attempt(sessionId: string, orderId: string): Promise<Exclude<Standing, 'proven'>> {
    const now = this.now();
    const n = await withTimeout(this.o.store.countOrderAttempt(sessionId, orderId, new Date(now), new Date(now - this.o.ttlMs)), this.o.timeoutMs, 'order check');
    this.prune(now);
    return n > this.o.maxAttempts ? 'locked' : 'open';
  }

  /** The session gave the order's email: its follow-ups about the order are answered for `ttlMs`. */
  async prove(sessionId: string, orderId: string): Promise<void> {
    await withTimeout(this.o.store.proveOrder(sessionId, orderId, new Date(this.now())), this.o.timeoutMs, 'order check');
  }

  private prune(now: number): void {
    if (now - this.prunedAt < PRUNE_EVERY_MS) return;
    this.prunedAt = now;
    this.o.store.pruneOrderChecks(new Date(now - this.o.ttlMs)).catch(() => undefined);
  }
}
