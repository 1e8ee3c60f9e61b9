/**
 * A concurrency-capped scheduler in front of any LlmBackend.
 *
 * At most `concurrency` generations run at once; the rest wait in three FIFO classes (high,
 * normal, low). A free slot goes to the oldest waiter of the highest non-empty class, with one
 * exception so nothing starves: a lower-class waiter that has waited `agingMs` or more is "aged",
 * and every `agedShare`-th dispatch made while an aged waiter is being passed over goes to the
 * oldest aged waiter. With the default share of 4, high-priority work keeps at least 3 of every
 * 4 slots however much low-priority work piles up, and low-priority work still gets 1 in 4 once
 * it has waited long enough.
 *
 * A waiter that gets no slot within `maxWaitMs` fails with LlmError TIMEOUT; a full queue refuses
 * new work with THROTTLED; the caller's signal removes a waiter with ABORTED. A slot is held from
 * the first chunk request until the stream ends, fails, or the consumer stops iterating.
 */
import { LlmError, type LlmBackend, type LlmChunk, type LlmPricing, type LlmPriority, type LlmRequest } from './types.ts';

export const PRIORITIES: readonly LlmPriority[] = ['high', 'normal', 'low'];

export interface PrioritySchedulerOptions {
  concurrency: number;
  /** Longest wait for a slot. Default 10 s. */
  maxWaitMs?: number;
  /** Wait after which a lower-class waiter counts as aged. Default 2 s. */
  agingMs?: number;
  /** One dispatch in this many goes to an aged waiter when one is waiting. Default 4. */
  agedShare?: number;
  /** Most waiters across all classes; more are refused with THROTTLED. Default unlimited. */
  maxQueued?: number;
  now?: () => number;
}

interface Waiter {
  priority: LlmPriority;
  enqueuedAt: number;
  resolve(release: () => void): void;
  reject(err: LlmError): void;
  cleanup(): void;
}

export class PriorityScheduler {
  readonly concurrency: number;
  readonly maxWaitMs: number;
  readonly agingMs: number;
  readonly agedShare: number;
  readonly maxQueued: number;
  private readonly now: () => number;
  private readonly queues: Record<LlmPriority, Waiter[]> = { high: [], normal: [], low: [] };
  private running = 0;
  private passedOverAged = 0;

  constructor(options: PrioritySchedulerOptions) {
    this.concurrency = options.concurrency;
    this.maxWaitMs = options.maxWaitMs ?? 10_000;
    this.agingMs = options.agingMs ?? 2_000;
    this.agedShare = options.agedShare ?? 4;
    this.maxQueued = options.maxQueued ?? Infinity;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError('concurrency must be an integer ≥ 1');
    if (!Number.isInteger(this.agedShare) || this.agedShare < 1) throw new RangeError('agedShare must be an integer ≥ 1');
  }

  /** Generations running now. */
  get active(): number {
    return this.running;
  }

  /** Waiters per class, for metrics. */
  depth(): Record<LlmPriority, number> {
    return { high: this.queues.high.length, normal: this.queues.normal.length, low: this.queues.low.length };
  }

  /** Waits for a slot; call the returned function exactly once when done (extra calls are ignored). */
  acquire(priority: LlmPriority = 'normal', signal?: AbortSignal): Promise<() => void> {
    if (!PRIORITIES.includes(priority)) {
      return Promise.reject(new LlmError(`priority must be high, normal or low, got ${JSON.stringify(priority)}`, 'BAD_REQUEST', false));
    }
    if (signal?.aborted) return Promise.reject(new LlmError('the caller aborted the request', 'ABORTED', false, { cause: signal.reason }));
    if (this.running < this.concurrency && this.queuedTotal() === 0) {
      this.running++;
      return Promise.resolve(this.releaser());
    }
    if (this.queuedTotal() >= this.maxQueued) {
      return Promise.reject(new LlmError(`generation queue is full (${this.maxQueued} waiting)`, 'THROTTLED', true));
    }
    return new Promise((resolve, reject) => {
      const queue = this.queues[priority];
      const remove = () => {
        const i = queue.indexOf(waiter);
        if (i >= 0) queue.splice(i, 1);
      };
      const timer = setTimeout(() => {
        remove();
        waiter.cleanup();
        reject(new LlmError(`no generation slot within ${this.maxWaitMs} ms (${priority} priority)`, 'TIMEOUT', true));
      }, this.maxWaitMs);
      const onAbort = () => {
        remove();
        waiter.cleanup();
        reject(new LlmError('the caller aborted the request', 'ABORTED', false, { cause: signal!.reason }));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      const waiter: Waiter = {
        priority,
        enqueuedAt: this.now(),
        resolve,
        reject,
        cleanup: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
        },
      };
      queue.push(waiter);
      this.pump();
    });
  }

  /** Runs `fn` in a slot. */
  async run<T>(priority: LlmPriority, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(priority, signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private queuedTotal(): number {
    return this.queues.high.length + this.queues.normal.length + this.queues.low.length;
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.running--;
      this.pump();
    };
  }

  private pump(): void {
    while (this.running < this.concurrency) {
      const w = this.pick();
      if (!w) return;
      const q = this.queues[w.priority];
      q.splice(q.indexOf(w), 1);
      w.cleanup();
      this.running++;
      w.resolve(this.releaser());
    }
  }

  private pick(): Waiter | undefined {
    const top = PRIORITIES.find((p) => this.queues[p].length > 0);
    if (!top) return undefined;
    const now = this.now();
    let aged: Waiter | undefined;
    for (const p of PRIORITIES.slice(PRIORITIES.indexOf(top) + 1)) {
      const head = this.queues[p][0];
      if (head && now - head.enqueuedAt >= this.agingMs && (!aged || head.enqueuedAt < aged.enqueuedAt)) aged = head;
    }
    if (aged) {
      if (this.passedOverAged >= this.agedShare - 1) {
        this.passedOverAged = 0;
        return aged;
      }
      this.passedOverAged++;
    }
    return this.queues[top][0];
  }
}

/** An LlmBackend that runs `inner` through a PriorityScheduler, by `req.priority` (default normal). */
export class PriorityQueueBackend implements LlmBackend {
  readonly name: string;
  readonly pricing?: LlmPricing;
  readonly scheduler: PriorityScheduler;

  constructor(
    private readonly inner: LlmBackend,
    scheduler: PriorityScheduler | PrioritySchedulerOptions,
  ) {
    this.name = inner.name;
    this.pricing = inner.pricing;
    this.scheduler = scheduler instanceof PriorityScheduler ? scheduler : new PriorityScheduler(scheduler);
  }

  generate(req: LlmRequest): AsyncIterable<LlmChunk> {
    return this.run(req);
  }

  private async *run(req: LlmRequest): AsyncGenerator<LlmChunk> {
    const release = await this.scheduler.acquire(req.priority ?? 'normal', req.signal);
    try {
      yield* this.inner.generate(req);
    } finally {
      release();
    }
  }
}
