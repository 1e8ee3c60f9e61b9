/**
 * The Durable Object that holds one chat session (one object per sessionId, named by it): a thin
 * RPC face over SessionLog on the object's own storage. One object per session gives every
 * message of a conversation a single, strongly consistent home, wherever the shopper's request
 * lands; see README "Conversations" for why not D1.
 */
import { DurableObject } from 'cloudflare:workers';
import { DEFAULT_SESSION_TTL_MS, type SessionTurn } from '../../../shared/conversation/session-turns.ts';
import type { EdgeEnv } from '../env.ts';
import { SessionLog } from './session-log.ts';

/** How long a turn waits inside the object for an earlier, still unrecorded turn. */
const PENDING_WAIT_MS = 150;

export class SessionStore extends DurableObject<EdgeEnv> {
  private readonly log: SessionLog;

  constructor(ctx: DurableObjectState, env: EdgeEnv) {
    super(ctx, env);
    const ttl = Number(env.SESSION_TTL_MS);
    const s = ctx.storage;
    this.log = new SessionLog(
      { get: (k) => s.get(k), put: (k, v) => s.put(k, v), deleteAll: () => s.deleteAll(), setAlarm: (at) => s.setAlarm(at), deleteAlarm: () => s.deleteAlarm() },
      { ttlMs: Number.isFinite(ttl) && ttl > 0 ? ttl : DEFAULT_SESSION_TTL_MS, waitMs: PENDING_WAIT_MS },
    );
  }

  begin(turnId?: string): Promise<{ turnId: string; turns: SessionTurn[] }> {
    return this.log.begin(turnId);
  }

  record(turn: SessionTurn): Promise<void> {
    return this.log.record(turn);
  }

  finish(turnId: string, patch: { path: string; answer: string }): Promise<void> {
    return this.log.finish(turnId, patch);
  }

  release(turnId: string): void {
    this.log.release(turnId);
  }

  turns(): Promise<SessionTurn[]> {
    return this.log.turns();
  }

  clear(): Promise<void> {
    return this.log.clear();
  }

  async alarm(): Promise<void> {
    await this.log.expire();
  }
}
