/**
 * Session writes this isolate has sent that the session's Durable Object has not acknowledged yet,
 * by session id: how many, and the turns they carry (a record's whole turn; a finish's path and
 * answer). A follow-up's read adds them to the turns the object returns (`merge`), so a message
 * sent right after the previous answer sees that turn without waiting for its write to land.
 * Plain data, not promises: workerd must not resume one request from another's I/O.
 */
import { boundTurns, storableTurn, type SessionTurn } from '../../../shared/conversation/session-turns.ts';

type PendingTurns = Map<string, Partial<SessionTurn>>;

export class UnacknowledgedWrites {
  private readonly sessions = new Map<string, { writes: number; turns: PendingTurns }>();

  /** Sessions with a write on its way (metrics). */
  get size(): number {
    return this.sessions.size;
  }

  /** Notes a write of turn `turnId` going out; the returned function says it was acknowledged (or failed). */
  sent(sessionId: string, turnId: string, turn: Partial<SessionTurn>): () => void {
    const mine = this.sessions.get(sessionId) ?? { writes: 0, turns: new Map() };
    this.sessions.set(sessionId, mine);
    mine.writes++;
    mine.turns.set(turnId, { ...mine.turns.get(turnId), ...turn });
    let done = false;
    return () => {
      if (done) return;
      done = true;
      // Held until every write of the session is acknowledged: a turn's record may land before its finish.
      if (--mine.writes <= 0 && this.sessions.get(sessionId) === mine) this.sessions.delete(sessionId);
    };
  }

  /** The session's unacknowledged turns now, copied (a write may land while a read is out). */
  pending(sessionId: string): PendingTurns {
    return new Map([...(this.sessions.get(sessionId)?.turns ?? [])].map(([id, t]) => [id, { ...t }]));
  }
}

/**
 * The object's turns with unacknowledged writes added: a turn the object does not have yet is
 * added whole (a record on its way), and a turn it still holds as pending takes its finish's path
 * and answer. Bounded and redacted as the object would store them, oldest first.
 */
export function withUnacknowledged(turns: SessionTurn[], pending: ReadonlyMap<string, Partial<SessionTurn>>): SessionTurn[] {
  if (!pending.size) return turns;
  const byId = new Map(turns.map((t) => [t.id, t]));
  for (const [id, p] of pending) {
    const have = byId.get(id);
    if (have) {
      if (have.path === 'pending' && p.path && p.path !== 'pending') byId.set(id, storableTurn({ ...have, path: p.path, answer: p.answer ?? have.answer }));
    } else if (p.text !== undefined && p.resolved !== undefined && p.entities && p.at !== undefined) {
      byId.set(id, storableTurn({ ...(p as SessionTurn), id }));
    }
  }
  return boundTurns([...byId.values()].sort((a, b) => a.at - b.at));
}
