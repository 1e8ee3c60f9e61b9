/**
 * Read-your-writes at the edge without waiting for the write: the isolate's unacknowledged session
 * writes (edge/src/session/unacknowledged-writes.ts) added to what the session's log returns while
 * those writes are still on their way — the previous turn seen at once, with its answer's path
 * once finished, bounded and redacted as the object stores it, and dropped once acknowledged.
 * (The real Durable Object in workerd, end to end: edge-conversation.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import type { SessionTurn } from '../shared/conversation/session-turns.ts';
import { SessionLog } from '../edge/src/session/session-log.ts';
import { UnacknowledgedWrites, withUnacknowledged } from '../edge/src/session/unacknowledged-writes.ts';

function memoryLog() {
  const data = new Map<string, unknown>();
  return new SessionLog(
    {
      get: async <T,>(k: string) => structuredClone(data.get(k)) as T | undefined,
      put: async (k, v) => void data.set(k, structuredClone(v)),
      deleteAll: async () => data.clear(),
      setAlarm: async () => {},
      deleteAlarm: async () => {},
    },
    { ttlMs: 60_000, waitMs: 0 },
  );
}

const turn = (id: string, text: string, at: number): SessionTurn => ({ id, at, text, resolved: text, intent: 'shipping_info', entities: [{ kind: 'place', value: 'canada' }], path: 'pending', answer: '' });

describe('session reads with this isolate’s writes still on their way', () => {
  it('sees the previous turn before its record lands, redacted; the object’s copy once it has', async () => {
    const log = memoryLog();
    const writes = new UnacknowledgedWrites();
    const t1 = { ...turn('t1', 'do you ship to canada? call me at 555-123-4567', 1000), path: 'cache', answer: 'Yes, we ship to Canada.' };
    const acknowledged = writes.sent('s1', 't1', t1);

    const { turns: stored } = await log.begin('t2');
    expect(stored).toEqual([]); // the object has not got it yet
    const seen = withUnacknowledged(stored, writes.pending('s1'));
    expect(seen).toHaveLength(1);
    expect(seen[0]).toMatchObject({ id: 't1', path: 'cache', answer: 'Yes, we ship to Canada.', entities: [{ kind: 'place', value: 'canada' }] });
    expect(seen[0].text).not.toContain('555-123-4567');
    expect(writes.pending('s2').size).toBe(0); // another session's read adds nothing

    await log.record(t1);
    acknowledged();
    expect(writes.size).toBe(0);
    log.release('t2');
    const { turns: later } = await log.begin('t3');
    expect(withUnacknowledged(later, writes.pending('s1')).map((t) => t.text)).toEqual(seen.map((t) => t.text));
  });

  it('a turn the object holds as pending takes its unacknowledged finish; turns stay in time order', async () => {
    const log = memoryLog();
    const writes = new UnacknowledgedWrites();
    await log.record(turn('a', 'do you ship to canada?', 1000)); // recorded while its answer streamed
    const finished = writes.sent('s', 'a', { path: 'llm', answer: 'We ship to Canada in 5-8 days.' });
    const recorded = writes.sent('s', 'b', { ...turn('b', 'what about the UK?', 900), path: 'template', answer: 'UK: 6-10 days.' });

    const { turns } = await log.begin('c');
    expect(withUnacknowledged(turns, writes.pending('s')).map((t) => [t.text, t.path])).toEqual([
      ['what about the UK?', 'template'],
      ['do you ship to canada?', 'llm'],
    ]);
    finished();
    expect(writes.pending('s').size).toBe(2); // held until the session's every write is acknowledged
    recorded();
    recorded(); // idempotent
    expect(writes.size).toBe(0);
  });

  it('keeps the last turns only, as the object does, and ignores a finish of a turn it never saw', () => {
    const stored = Array.from({ length: 8 }, (_, i) => ({ ...turn(`t${i}`, `q${i}`, i), path: 'llm', answer: 'a' }));
    const merged = withUnacknowledged(stored, new Map([['t8', turn('t8', 'q8', 8)]]));
    expect(merged.map((t) => t.text)).toEqual(['q1', 'q2', 'q3', 'q4', 'q5', 'q6', 'q7', 'q8']);
    expect(withUnacknowledged(stored, new Map([['t9', { path: 'llm', answer: 'a finish alone' }]]))).toEqual(stored);
  });
});
