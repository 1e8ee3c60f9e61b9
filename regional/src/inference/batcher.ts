/**
 * Dynamic batching in front of a model: calls are queued and run together when the batch reaches
 * `maxSize` items or the oldest has waited `maxDelayMs`. One batch runs at a time per model (the
 * runtime uses the cores itself); the next batch forms while the current one runs. With `eager`
 * (the default) an idle model does not wait for company: it starts on whatever arrived in the
 * same tick, so a lone request pays no batching delay, and batches still form under load while
 * the model is busy.
 *
 * Two lanes: `interactive` (requests someone is waiting for, the default) and `batch` (batch
 * jobs). Every batch takes the queued interactive items first, up to `maxSize`, and fills only the
 * room left with batch items; batch items run on their own only when no interactive item is
 * queued. So however many batch items are queued, an interactive item waits at most for the one
 * batch in flight when it arrived.
 */
export type Lane = 'interactive' | 'batch';

export interface BatcherOptions {
  name: string;
  maxSize: number;
  maxDelayMs: number;
  /** Start at once (at the end of the current event-loop turn) when the model is idle. Default true. */
  eager?: boolean;
  /** Called with every batch that runs: its size, run time, and how many of its items were batch-lane. */
  onBatch?: (size: number, ms: number, batchLane: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
}

export class DynamicBatcher<I, O> {
  private readonly interactive: Pending<I, O>[] = [];
  private readonly background: Pending<I, O>[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private running = false;
  private idleWaiters: (() => void)[] = [];
  private closed: Error | null = null;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    readonly opts: BatcherOptions,
  ) {
    if (opts.maxSize < 1) throw new Error('maxSize must be at least 1');
  }

  /** Items waiting, both lanes. */
  get depth(): number {
    return this.interactive.length + this.background.length;
  }

  /** Items waiting in one lane. */
  depthOf(lane: Lane): number {
    return lane === 'batch' ? this.background.length : this.interactive.length;
  }

  /** Resolves once no item is queued and no batch runs (at once when idle): a replaced model's work has drained. */
  idle(): Promise<void> {
    if (!this.running && !this.depth) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Refuses every later call with `reason` (the model behind it is being released); queued items still run. */
  close(reason: Error): void {
    this.closed = reason;
  }

  run(item: I, signal?: AbortSignal, lane: Lane = 'interactive'): Promise<O> {
    if (this.closed) return Promise.reject(this.closed);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<O>((resolve, reject) => {
      (lane === 'batch' ? this.background : this.interactive).push({ item, resolve, reject, signal });
      this.schedule();
    });
  }

  /** Runs many items, each through the queue (so they batch with everyone else's). */
  runMany(items: I[], signal?: AbortSignal, lane: Lane = 'interactive'): Promise<O[]> {
    if (items.length === 1) return this.run(items[0], signal, lane).then((o) => [o]);
    return Promise.all(items.map((i) => this.run(i, signal, lane)));
  }

  private schedule(): void {
    if (this.running) return;
    if (this.depth >= this.opts.maxSize || this.opts.maxDelayMs <= 0) {
      void this.flush();
    } else if (this.opts.eager ?? true) {
      // After the current burst of callbacks (setImmediate runs once microtasks drain), so
      // everything that arrived in this turn of the event loop goes in one batch.
      if (!this.timer && !this.immediate) this.immediate = setImmediate(() => void this.flush());
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.maxDelayMs);
    }
  }

  /** Moves up to `room` live items from `queue` into `batch` (aborted ones are rejected and dropped). */
  private take(queue: Pending<I, O>[], room: number, batch: Pending<I, O>[]): void {
    let n = 0;
    while (n < queue.length && batch.length < room) {
      const p = queue[n++];
      if (p.signal?.aborted) p.reject(p.signal.reason ?? new Error('aborted'));
      else batch.push(p);
    }
    queue.splice(0, n);
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.running) return;
    const max = this.opts.maxSize;
    const batch: Pending<I, O>[] = [];
    this.take(this.interactive, max, batch);
    const interactive = batch.length;
    this.take(this.background, max, batch);
    if (!batch.length) return this.notifyIdle();
    this.running = true;
    const t0 = performance.now();
    const items = new Array<I>(batch.length);
    for (let i = 0; i < batch.length; i++) items[i] = batch[i].item;
    try {
      const out = await this.runBatch(items);
      if (out.length !== batch.length) throw new Error(`${this.opts.name}: batch of ${batch.length} returned ${out.length} results`);
      for (let i = 0; i < batch.length; i++) batch[i].resolve(out[i]);
    } catch (e) {
      for (const p of batch) p.reject(e);
    } finally {
      this.opts.onBatch?.(batch.length, performance.now() - t0, batch.length - interactive);
      this.running = false;
      if (this.depth) this.schedule();
      else this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.running || this.depth) return;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  }
}
