/**
 * The generation scheduler: concurrency cap, strict priority with FIFO inside a class, aged
 * low-priority work getting its share, queue timeouts, and slots freed however a stream ends.
 * The backend behind it is an in-process LlmBackend whose generations the test finishes by hand.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PriorityQueueBackend, PriorityScheduler } from '../regional/src/llm/priority-queue.ts';
import { LlmError, type LlmBackend, type LlmChunk, type LlmPriority, type LlmRequest } from '../regional/src/llm/types.ts';

/** A backend whose every generation waits until the test calls finish(id). */
class ManualBackend implements LlmBackend {
  readonly name = 'manual';
  running = new Set<string>();
  maxRunning = 0;
  started: string[] = [];
  private finishers = new Map<string, (err?: Error) => void>();

  generate(req: LlmRequest): AsyncIterable<LlmChunk> {
    const id = req.messages[0].content;
    const self = this;
    return (async function* () {
      self.started.push(id);
      self.running.add(id);
      self.maxRunning = Math.max(self.maxRunning, self.running.size);
      try {
        yield { type: 'delta', text: `${id}:start ` } as LlmChunk;
        const err = await new Promise<Error | undefined>((r) => self.finishers.set(id, r));
        if (err) throw err;
        yield { type: 'delta', text: `${id}:end` } as LlmChunk;
      } finally {
        self.running.delete(id);
      }
    })();
  }

  /** Generations parked on their finisher: started, first delta consumed, not yet finished. */
  get waiting(): string[] {
    return [...this.finishers.keys()];
  }

  isWaiting(id: string): boolean {
    return this.finishers.has(id);
  }

  finish(id: string, err?: Error): void {
    const f = this.finishers.get(id);
    if (!f) throw new Error(`${id} is not waiting`);
    this.finishers.delete(id);
    f(err);
  }
}

const req = (id: string, priority?: LlmPriority, signal?: AbortSignal): LlmRequest => ({
  system: '',
  messages: [{ role: 'user', content: id }],
  maxTokens: 16,
  tier: 'small',
  priority,
  signal,
});

async function drain(it: AsyncIterable<LlmChunk>): Promise<string> {
  let s = '';
  for await (const c of it) if (c.type === 'delta') s += c.text;
  return s;
}

/** Lets queued microtasks and stream steps run. */
const settle = () => new Promise((r) => setTimeout(r, 0));

const pending: Promise<unknown>[] = [];
afterEach(async () => {
  // bounded, so a failed test that left generations parked does not hang the suite
  await Promise.race([Promise.allSettled(pending.splice(0)), new Promise((r) => setTimeout(r, 1_000))]);
});

function start(q: PriorityQueueBackend, r: LlmRequest): Promise<string> {
  const p = drain(q.generate(r));
  pending.push(p);
  return p;
}

async function waitUntil(cond: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !cond(); i++) await settle();
  expect(cond()).toBe(true);
}

/** Finishes generations as they start until nothing runs or waits. */
async function finishAll(q: PriorityQueueBackend, inner: ManualBackend): Promise<void> {
  const queued = () => Object.values(q.scheduler.depth()).reduce((a, b) => a + b, 0);
  for (;;) {
    await waitUntil(() => inner.waiting.length > 0 || (q.scheduler.active === 0 && queued() === 0));
    if (inner.waiting.length === 0) return;
    for (const id of inner.waiting) inner.finish(id);
  }
}

describe('PriorityQueueBackend', () => {
  it('never runs more than `concurrency` generations and runs the rest as slots free up', async () => {
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 2 });
    const ids = ['a', 'b', 'c', 'd', 'e'];
    const done = ids.map((id) => start(q, req(id)));
    await waitUntil(() => inner.running.size === 2);
    expect(q.scheduler.depth()).toEqual({ high: 0, normal: 3, low: 0 });
    for (const id of ids) {
      await waitUntil(() => inner.isWaiting(id));
      expect(inner.running.size).toBeLessThanOrEqual(2);
      inner.finish(id);
    }
    expect(await Promise.all(done)).toEqual(ids.map((id) => `${id}:start ${id}:end`));
    expect(inner.maxRunning).toBe(2);
    expect(inner.started).toEqual(ids);
    expect(q.scheduler.active).toBe(0);
  });

  it('lets high-priority work overtake queued low-priority work, FIFO within each class', async () => {
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 1, agingMs: 60_000 });
    start(q, req('busy', 'normal'));
    await waitUntil(() => inner.isWaiting('busy'));
    start(q, req('low1', 'low'));
    start(q, req('low2', 'low'));
    start(q, req('norm1'));
    start(q, req('high1', 'high'));
    start(q, req('high2', 'high'));
    await waitUntil(() => q.scheduler.depth().low === 2 && q.scheduler.depth().high === 2);
    expect(q.scheduler.depth()).toEqual({ high: 2, normal: 1, low: 2 });
    const order = ['busy', 'high1', 'high2', 'norm1', 'low1', 'low2'];
    for (const id of order) {
      await waitUntil(() => inner.isWaiting(id));
      inner.finish(id);
    }
    expect(inner.started).toEqual(order);
  });

  it('gives aged low-priority work one slot in `agedShare` even under a constant stream of high-priority work', async () => {
    let clock = 0;
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 1, agingMs: 1_000, agedShare: 3, now: () => clock });
    start(q, req('busy', 'high'));
    await waitUntil(() => inner.isWaiting('busy'));
    start(q, req('low', 'low'));
    let n = 0;
    const addHigh = () => start(q, req(`h${n++}`, 'high'));
    addHigh();
    addHigh();
    await waitUntil(() => q.scheduler.depth().high === 2);
    clock += 1_000; // the low request is now aged
    let current = 'busy';
    for (let i = 0; i < 6 && !inner.started.includes('low'); i++) {
      addHigh(); // high-priority work keeps arriving
      await waitUntil(() => q.scheduler.depth().high >= 2);
      inner.finish(current);
      await waitUntil(() => inner.waiting.length === 1 && !inner.running.has(current));
      current = inner.waiting[0];
    }
    // passed over twice (agedShare 3), then the third dispatch is the aged low request
    expect(inner.started.slice(0, 4)).toEqual(['busy', 'h0', 'h1', 'low']);
    inner.finish(current);
    // back to strict priority afterwards
    await waitUntil(() => inner.waiting.length === 1 && !inner.running.has(current));
    expect(inner.waiting[0]).toMatch(/^h/);
    await finishAll(q, inner);
  });

  it('does not age low-priority work that has not waited long enough', async () => {
    let clock = 0;
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 1, agingMs: 1_000, agedShare: 1, now: () => clock });
    start(q, req('busy', 'high'));
    await waitUntil(() => inner.isWaiting('busy'));
    start(q, req('low', 'low'));
    start(q, req('high', 'high'));
    await waitUntil(() => q.scheduler.depth().high === 1);
    clock += 999;
    inner.finish('busy');
    await waitUntil(() => inner.waiting.length === 1 && !inner.running.has('busy'));
    expect(inner.waiting).toEqual(['high']);
    clock += 1;
    inner.finish('high');
    await waitUntil(() => inner.isWaiting('low'));
    inner.finish('low');
  });

  it('fails a request that waits longer than maxWaitMs with TIMEOUT and removes it from the queue', { timeout: 5_000 }, async () => {
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 1, maxWaitMs: 50 });
    start(q, req('busy'));
    await waitUntil(() => inner.isWaiting('busy'));
    const err = await drain(q.generate(req('late', 'low'))).catch((e) => e);
    expect(err).toBeInstanceOf(LlmError);
    expect(err.code).toBe('TIMEOUT');
    expect(q.scheduler.depth()).toEqual({ high: 0, normal: 0, low: 0 });
    expect(inner.started).toEqual(['busy']);
    inner.finish('busy');
  });

  it('removes a waiter whose caller aborts (ABORTED) and refuses work beyond maxQueued (THROTTLED)', async () => {
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 1, maxQueued: 1 });
    start(q, req('busy'));
    await waitUntil(() => inner.isWaiting('busy'));
    const ac = new AbortController();
    const waiting = drain(q.generate(req('w', 'high', ac.signal))).catch((e) => e);
    await waitUntil(() => q.scheduler.depth().high === 1);
    const refused = await drain(q.generate(req('x', 'low'))).catch((e) => e);
    expect(refused.code).toBe('THROTTLED');
    ac.abort();
    expect((await waiting).code).toBe('ABORTED');
    expect(q.scheduler.depth().high).toBe(0);
    inner.finish('busy');
    await waitUntil(() => q.scheduler.active === 0);
    expect(inner.started).toEqual(['busy']);
  });

  it('frees the slot when a generation fails or the consumer stops early', async () => {
    const inner = new ManualBackend();
    const q = new PriorityQueueBackend(inner, { concurrency: 1 });
    const failing = start(q, req('fails')).catch((e) => e);
    await waitUntil(() => inner.isWaiting('fails'));
    inner.finish('fails', new LlmError('upstream broke', 'UNAVAILABLE', true));
    expect((await failing).code).toBe('UNAVAILABLE');
    expect(q.scheduler.active).toBe(0);

    for await (const c of q.generate(req('early'))) {
      expect(c).toEqual({ type: 'delta', text: 'early:start ' });
      break;
    }
    expect(q.scheduler.active).toBe(0);
    const next = start(q, req('next'));
    await waitUntil(() => inner.isWaiting('next'));
    inner.finish('next');
    expect(await next).toBe('next:start next:end');
  });
});

describe('PriorityScheduler', () => {
  it('rejects an unknown priority with BAD_REQUEST and bad options with RangeError', async () => {
    const s = new PriorityScheduler({ concurrency: 1 });
    const err = await s.acquire('urgent' as LlmPriority).catch((e) => e);
    expect(err.code).toBe('BAD_REQUEST');
    expect(() => new PriorityScheduler({ concurrency: 0 })).toThrow(RangeError);
  });

  it('run() holds a slot for the duration of the task and releases it on error', async () => {
    const s = new PriorityScheduler({ concurrency: 1 });
    let seen = -1;
    await s.run('high', async () => {
      seen = s.active;
    });
    expect(seen).toBe(1);
    await expect(s.run('low', async () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(s.active).toBe(0);
  });
});
