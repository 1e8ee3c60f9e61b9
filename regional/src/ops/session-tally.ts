/**
 * Running token and cost totals per session, so "cost per session" can be a Prometheus histogram
 * without a session-id label: each session's totals are kept in memory while it is active and
 * handed to `onClose` (which observes the histograms) once it has had no turn for `idleMs`, or
 * when the tally is full and it is the least recently active. Memory is bounded by `maxSessions`.
 * Session ids are kept only as keys of a Map, never exported.
 */

export interface SessionTotals {
  turns: number;
  tokens: number;
  costUsd: number;
}

interface Entry extends SessionTotals {
  last: number;
}

export class SessionTally {
  /** Insertion order = least recently active first (an entry is moved to the end on each turn). */
  private readonly live = new Map<string, Entry>();

  constructor(private readonly opts: { idleMs: number; maxSessions: number; onClose: (t: SessionTotals) => void }) {
    if (!(opts.idleMs > 0) || !(opts.maxSessions >= 1)) throw new RangeError('SessionTally: need idleMs > 0 and maxSessions >= 1');
  }

  /** Adds one turn; returns true when this starts a session (first seen, or seen again after going idle). */
  add(sessionId: string, tokens: number, costUsd: number, now: number): boolean {
    this.sweep(now);
    const e = this.live.get(sessionId);
    if (e) this.live.delete(sessionId);
    const next: Entry = { turns: (e?.turns ?? 0) + 1, tokens: (e?.tokens ?? 0) + tokens, costUsd: (e?.costUsd ?? 0) + costUsd, last: now };
    this.live.set(sessionId, next);
    while (this.live.size > this.opts.maxSessions) this.close(this.live.keys().next().value as string);
    return !e;
  }

  /** Sessions active at `now` (closing the idle ones first). */
  active(now: number): number {
    this.sweep(now);
    return this.live.size;
  }

  /** Closes every session that has been idle for idleMs. */
  sweep(now: number): void {
    for (const [id, e] of this.live) {
      if (now - e.last < this.opts.idleMs) break;
      this.close(id);
    }
  }

  private close(id: string): void {
    const e = this.live.get(id);
    if (!e) return;
    this.live.delete(id);
    this.opts.onClose({ turns: e.turns, tokens: e.tokens, costUsd: e.costUsd });
  }
}
