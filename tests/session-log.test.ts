/**
 * The session Durable Object's log on an in-memory storage with a controlled clock: read-your-
 * writes when the next turn begins before the previous one was recorded, no lost turns under
 * concurrency, the bounds, idle expiry on read and by alarm. (The real object in workerd is
 * tested in edge-conversation.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { SessionTurn } from '../shared/conversation/session-turns.ts';
import { SessionLog, type SessionStorage } from '../edge/src/session/session-log.ts';

function memoryStorage() {
  const data = new Map<string, unknown>();
  const s = {
    alarm: null as number | null,
    alarmsSet: 0,
    gets: 0,
    data,
    async get<T>(k: string) {
      s.gets++;
      await Promise.resolve();
      return structuredClone(data.get(k)) as T | undefined;
    },
    async put<T>(k: string, v: T) {
      await new Promise((r) => setTimeout(r, 1));
      data.set(k, structuredClone(v));
    },
    // As workerd at the Worker's compatibility date: deleteAll keeps the alarm.
    async deleteAll() {
      data.clear();
    },
    async setAlarm(at: number) {
      s.alarm = at;
      s.alarmsSet++;
    },
    async deleteAlarm() {
      s.alarm = null;
    },
  };
  return s satisfies SessionStorage;
}

/** The alarm going off: workerd clears it, then runs the object's handler. */
async function ring(storage: ReturnType<typeof memoryStorage>, log: SessionLog): Promise<void> {
  storage.alarm = null;
  await log.expire();
}

const turn = (id: string, text: string, at: number): SessionTurn => ({ id, at, text, resolved: text, entities: [], path: 'pending', answer: '' });

describe('session log', () => {
  it('lets a turn that begins before the previous one is recorded see it', async () => {
    let now = 1000;
    const log = new SessionLog(memoryStorage(), { ttlMs: 60_000, waitMs: 1000, now: () => now });
    const a = await log.begin();
    const b = log.begin(); // arrives while A is still being resolved
    await new Promise((r) => setTimeout(r, 20));
    await log.record(turn(a.turnId, 'Do you ship to Canada?', now));
    const { turns } = await b;
    expect(turns.map((t) => t.text)).toEqual(['Do you ship to Canada?']);
    now += 10;
  });

  it('stops waiting for a turn that is never recorded after waitMs', async () => {
    const log = new SessionLog(memoryStorage(), { ttlMs: 60_000, waitMs: 50 });
    await log.begin();
    const t0 = Date.now();
    const { turns } = await log.begin();
    expect(turns).toEqual([]);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('loses no turn when many are recorded and finished at once', async () => {
    const log = new SessionLog(memoryStorage(), { ttlMs: 60_000, waitMs: 5 });
    const begun = await Promise.all(Array.from({ length: 6 }, () => log.begin()));
    await Promise.all(begun.map((b, i) => log.record(turn(b.turnId, `message ${i}`, 100 + i))));
    await Promise.all(begun.map((b, i) => log.finish(b.turnId, { path: 'llm', answer: `answer ${i}` })));
    const turns = await log.turns();
    expect(turns.map((t) => t.text)).toEqual(Array.from({ length: 6 }, (_, i) => `message ${i}`));
    expect(turns.map((t) => t.answer)).toEqual(Array.from({ length: 6 }, (_, i) => `answer ${i}`));
  });

  it('keeps the last 8 turns', async () => {
    const log = new SessionLog(memoryStorage(), { ttlMs: 60_000, waitMs: 5 });
    for (let i = 0; i < 11; i++) await log.record(turn(`t${i}`, `m${i}`, i));
    expect((await log.turns()).map((t) => t.id)).toEqual(['t3', 't4', 't5', 't6', 't7', 't8', 't9', 't10']);
  });

  it('forgets an idle session on read and by its alarm', async () => {
    let now = 0;
    const storage = memoryStorage();
    const log = new SessionLog(storage, { ttlMs: 1000, waitMs: 5, now: () => now });
    await log.record(turn('a', 'hello', 0));
    expect(storage.alarm).toBe(1000);
    now = 900;
    expect(await log.turns()).toHaveLength(1);
    await ring(storage, log);
    expect(storage.data.size).toBe(1);
    now = 1001;
    await ring(storage, log);
    expect(storage.data.size).toBe(0);
    await log.record(turn('b', 'again', now));
    now = 2500;
    expect(await log.turns()).toEqual([]);
  });

  it('sets its expiry alarm on the first write, not on every write, and again once the alarm ran', async () => {
    let now = 0;
    const storage = memoryStorage();
    const log = new SessionLog(storage, { ttlMs: 1000, waitMs: 5, now: () => now });
    await log.record(turn('a', 'hello', 0));
    now = 100;
    await log.record(turn('b', 'and vol 2?', 100));
    await log.finish('b', { path: 'template', answer: 'ok' });
    expect(storage.alarmsSet).toBe(1);
    expect(storage.alarm).toBe(1000);
    now = 1000;
    await ring(storage, log); // last active at 100: re-armed for 1100, not forgotten
    expect(storage.alarm).toBe(1100);
    expect(await log.turns()).toHaveLength(2);
    now = 1200;
    await ring(storage, log);
    expect(storage.alarm).toBeNull();
    await log.record(turn('c', 'hi again', 1200));
    expect(storage.alarm).toBe(2200);
  });

  it('reads storage once per object lifetime: reads and writes after that work on what it holds', async () => {
    const storage = memoryStorage();
    const log = new SessionLog(storage, { ttlMs: 60_000, waitMs: 5, now: () => 0 });
    await Promise.all([log.begin('a'), log.turns()]); // two reads at once: one storage read
    expect(storage.gets).toBe(1);
    await log.record(turn('a', 'Do you ship to Canada?', 0));
    await log.finish('a', { path: 'cache', answer: 'Yes, in 5 days.' });
    const b = await log.begin();
    expect(b.turns.map((t) => [t.text, t.answer])).toEqual([['Do you ship to Canada?', 'Yes, in 5 days.']]);
    expect(storage.gets).toBe(1);
    // What it holds is what it stored: an object loaded afresh on the same storage reads the same turns.
    const reloaded = new SessionLog(storage, { ttlMs: 60_000, waitMs: 5, now: () => 0 });
    expect(await reloaded.turns()).toEqual(b.turns);
    expect(storage.gets).toBe(2);
  });

  it('reads storage again after a failed read', async () => {
    const storage = memoryStorage();
    const get = storage.get;
    let failures = 1;
    storage.get = async <T>(k: string) => (failures-- > 0 ? Promise.reject(new Error('storage unavailable')) : get<T>(k));
    const log = new SessionLog(storage, { ttlMs: 60_000, waitMs: 5, now: () => 0 });
    await expect(log.turns()).rejects.toThrow('storage unavailable');
    await log.record(turn('a', 'hello', 0));
    expect((await log.turns()).map((t) => t.text)).toEqual(['hello']);
  });

  it('clears a session whole: its turns and its expiry alarm', async () => {
    const storage = memoryStorage();
    const log = new SessionLog(storage, { ttlMs: 1000, waitMs: 5, now: () => 0 });
    await log.record(turn('a', 'hello', 0));
    expect(storage.alarm).toBe(1000);
    await log.clear();
    expect(storage.data.size).toBe(0);
    expect(storage.alarm).toBeNull();
    await log.record(turn('b', 'hello again', 0));
    expect(storage.alarm).toBe(1000);
  });
});
