/**
 * Dynamic batching in front of a model: calls are queued and run together when the batch reaches
 * `maxSize` items or the oldest has waited `maxDelayMs`. One batch runs at a time per model (the
 * runtime uses the cores itself); the next batch forms while the current one runs. With `eager`
 * (the default) an idle model does not wait for company: it starts on whatever arrived in the
 * same tick, so a lone request pays no batching delay, and batches still form under load while
 * the model is busy.
 */
export interface BatcherOptions {
  name: string;
  maxSize: number;
  maxDelayMs: number;
  /** Start at once (at the end of the current event-loop turn) when the model is idle. Default true. */
  eager?: boolean;
  /** Called with every batch size that runs (for the batch-size histogram). */
  onBatch?: (size: number, ms: number) => void;
}

interface Pending<I, O> {
  item: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
  signal?: AbortSignal;
}

export class DynamicBatcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private timer: ReturnType<typeof setTimeout> | null = null;
  private immediate: ReturnType<typeof setImmediate> | null = null;
  private running = false;

  constructor(
    private readonly runBatch: (items: I[]) => Promise<O[]>,
    readonly opts: BatcherOptions,
  ) {
    if (opts.maxSize < 1) throw new Error('maxSize must be at least 1');
  }

  get depth(): number {
    return this.queue.length;
  }

  run(item: I, signal?: AbortSignal): Promise<O> {
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error('aborted'));
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject, signal });
      this.schedule();
    });
  }

  /** Runs many items, each through the queue (so they batch with everyone else's). */
  runMany(items: I[], signal?: AbortSignal): Promise<O[]> {
    if (items.length === 1) return this.run(items[0], signal).then((o) => [o]);
    return Promise.all(items.map((i) => this.run(i, signal)));
  }

  private schedule(): void {
    if (this.running) return;
    if (this.queue.length >= this.opts.maxSize || this.opts.maxDelayMs <= 0) {
      void this.flush();
    } else if (this.opts.eager ?? true) {
      // After the current burst of callbacks (setImmediate runs once microtasks drain), so
      // everything that arrived in this turn of the event loop goes in one batch.
      if (!this.timer && !this.immediate) this.immediate = setImmediate(() => void this.flush());
    } else if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.opts.maxDelayMs);
    }
  }

  private async flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = null;
    this.immediate = null;
    if (this.running) return;
    const batch = this.queue.splice(0, this.opts.maxSize).filter((p) => {
      if (!p.signal?.aborted) return true;
      p.reject(p.signal.reason ?? new Error('aborted'));
      return false;
    });
    if (!batch.length) return;
    this.running = true;
    const t0 = performance.now();
    try {
      const out = await this.runBatch(batch.map((p) => p.item));
      if (out.length !== batch.length) throw new Error(`${this.opts.name}: batch of ${batch.length} returned ${out.length} results`);
      batch.forEach((p, i) => p.resolve(out[i]));
    } catch (e) {
      batch.forEach((p) => p.reject(e));
    } finally {
      this.opts.onBatch?.(batch.length, performance.now() - t0);
      this.running = false;
      if (this.queue.length) this.schedule();
    }
  }
}
