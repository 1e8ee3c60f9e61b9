/**
 * One session's turn log, as its Durable Object keeps it: the last turns (bounded and redacted by
 * shared/conversation/session-turns.ts), forgotten after SESSION_TTL_MS idle (checked on every
 * read, and by an alarm so idle sessions leave storage too; the alarm is set by the object's first
 * write and re-arms itself while the session is active).
 *
 * Read-your-writes across overlapping requests: `begin` registers the new turn as pending and
 * first waits (at most `waitMs`) for turns that began before it to be recorded, so a message sent
 * before the previous one's write finished still sees it. A turn is recorded as soon as the edge
 * has resolved and classified it (its answer is added later by `finish`), so the wait is that
 * short span, not a whole answer. Writes are serialized, so concurrent requests never lose or
 * interleave each other's turns. Refuses nothing from its caller but keeps only what the bounds allow.
 *
 * Storage is read once per object lifetime: the object is the session's only writer, so what it
 * last read or wrote (`state`) is the session; a read (`begin`, `turns`) then touches no storage
 * and a write is one `put` (BENCHMARKS.md "Follow-up session read").
 */
import { boundTurns, storableTurn, type SessionTurn } from '../../../shared/conversation/session-turns.ts';

/** The part of Durable Object storage the log uses (an in-memory map in unit tests). */
export interface SessionStorage {
  get<T>(key: string): Promise<T | undefined>;
  put<T>(key: string, value: T): Promise<void>;
  /** Deletes the stored data, not the alarm (at this compatibility date: wrangler.toml). */
  deleteAll(): Promise<void>;
  setAlarm(at: number): Promise<void>;
  deleteAlarm(): Promise<void>;
}

export interface SessionLogOptions {
  ttlMs: number;
  /** Longest a new turn waits for earlier pending turns to be recorded. */
  waitMs: number;
  now?: () => number;
}

interface Stored {
  turns: SessionTurn[];
  lastActive: number;
}

interface Pending {
  since: number;
  settle: () => void;
  settled: Promise<void>;
}

/** A pending turn that was never recorded (its request died) stops being waited for after this. */
const PENDING_MAX_MS = 30_000;

export class SessionLog {
  private readonly pending = new Map<string, Pending>();
  private writes: Promise<unknown> = Promise.resolve();
  /**
   * Whether this object has set its expiry alarm since it was loaded: a save sets it only then,
   * not on every write (one storage write less per turn), since the alarm re-arms itself at the
   * session's expiry as long as the session stays active (`expire`).
   */
  private armed = false;
  /** The stored session as this object last read or wrote it: undefined until loaded, null when there is none. */
  private state: Stored | null | undefined;
  /** The one read of storage that loads `state` (shared, so a read never overwrites a newer write). */
  private loading: Promise<void> | undefined;

  constructor(
    private readonly storage: SessionStorage,
    private readonly opts: SessionLogOptions,
  ) {}

  private now(): number {
    return (this.opts.now ?? Date.now)();
  }

  /** Starts turn `turnId`: waits for earlier pending turns, then returns the turns so far. */
  async begin(turnId: string = crypto.randomUUID()): Promise<{ turnId: string; turns: SessionTurn[] }> {
    const now = this.now();
    for (const [id, p] of this.pending) if (now - p.since > PENDING_MAX_MS) this.settle(id);
    const earlier = [...this.pending.values()].map((p) => p.settled);
    let settle!: () => void;
    const settled = new Promise<void>((r) => (settle = r));
    this.pending.set(turnId, { since: now, settle, settled });
    if (earlier.length) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([Promise.all(earlier), new Promise((r) => (timer = setTimeout(r, this.opts.waitMs)))]);
      if (timer !== undefined) clearTimeout(timer);
    }
    await this.writes;
    return { turnId, turns: await this.turns() };
  }

  /** The live turns, oldest first; an expired session is deleted and reads as empty. */
  async turns(): Promise<SessionTurn[]> {
    const s = await this.load();
    if (!s) return [];
    if (this.now() - s.lastActive > this.opts.ttlMs) {
      await this.forget();
      return [];
    }
    return s.turns;
  }

  /** Stores a turn (a new one, or the pending turn `turn.id` began), and releases its waiters. */
  record(turn: SessionTurn): Promise<void> {
    return this.write(async () => {
      try {
        const turns = (await this.turns()).filter((t) => t.id !== turn.id);
        turns.push(storableTurn(turn));
        turns.sort((a, b) => a.at - b.at);
        await this.save(turns);
      } finally {
        this.settle(turn.id);
      }
    });
  }

  /** Completes a recorded turn with its final path and answer; a turn no longer kept is ignored. */
  finish(turnId: string, patch: { path: string; answer: string }): Promise<void> {
    return this.write(async () => {
      const turns = [...(await this.turns())];
      const i = turns.findIndex((t) => t.id === turnId);
      if (i < 0) return;
      turns[i] = storableTurn({ ...turns[i], ...patch });
      await this.save(turns);
    });
  }

  /** Stops waiting for a turn that will not be recorded. */
  release(turnId: string): void {
    this.settle(turnId);
  }

  /** Forgets the whole session: its turns and its expiry alarm, so the object keeps nothing. */
  clear(): Promise<void> {
    return this.write(async () => {
      await this.storage.deleteAlarm();
      await this.forget();
    });
  }

  /** The alarm: deletes an idle session, or sets the next check at its expiry. */
  async expire(): Promise<void> {
    const s = await this.load();
    // The alarm that ran is spent: the next save sets one again unless this one re-arms.
    this.armed = false;
    if (!s) return;
    const at = s.lastActive + this.opts.ttlMs;
    if (this.now() >= at) await this.forget();
    else await this.arm(at);
  }

  private async save(turns: SessionTurn[]): Promise<void> {
    const now = this.now();
    const s: Stored = { turns: boundTurns(turns), lastActive: now };
    this.state = s;
    await this.storage.put<Stored>('session', s);
    if (!this.armed) await this.arm(now + this.opts.ttlMs);
  }

  private async arm(at: number): Promise<void> {
    await this.storage.setAlarm(at);
    this.armed = true;
  }

  private async load(): Promise<Stored | null> {
    if (this.state === undefined) {
      this.loading ??= this.storage.get<Stored>('session').then(
        (s) => {
          if (this.state === undefined) this.state = s ?? null;
        },
        (e) => {
          this.loading = undefined; // the next call tries again
          throw e;
        },
      );
      await this.loading;
    }
    return this.state ?? null;
  }

  private async forget(): Promise<void> {
    this.state = null;
    await this.storage.deleteAll();
    this.armed = false;
  }

  private write(fn: () => Promise<void>): Promise<void> {
    const run = this.writes.then(fn);
    this.writes = run.catch(() => undefined);
    return run;
  }

  private settle(id: string): void {
    this.pending.get(id)?.settle();
    this.pending.delete(id);
  }
}
