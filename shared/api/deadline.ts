/**
 * A deadline that moves forward often (every event, every byte of a stream) with one timer. Moving
 * it later only notes the new time; the timer, when it fires early, sleeps again for what is left.
 * Moving it earlier re-arms at once. In a CPU profile of the edge in workerd, clearing and setting
 * the stream's two timers on every chunk took as long as reading the chunks (BENCHMARKS.md "Edge
 * TTFT overhead, third look"), and a streamed answer moves its deadlines once or twice per token.
 * Runtime-free (setTimeout and Date.now only).
 */
export class Deadline {
  /** When it expires (ms since the epoch); 0: not set. */
  private at = 0;
  /** When the pending timer fires, if one is pending. */
  private firesAt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly onExpire: () => void) {}

  /** Expires `ms` from now, unless moved or cleared before. */
  set(ms: number): void {
    const now = Date.now();
    this.at = now + ms;
    if (this.timer === undefined || this.firesAt > this.at) this.schedule(now, ms);
  }

  clear(): void {
    this.at = 0;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(now: number, ms: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.firesAt = now + ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (!this.at) return;
      const t = Date.now();
      if (t < this.at) this.schedule(t, this.at - t);
      else {
        this.at = 0;
        this.onExpire();
      }
    }, ms);
  }
}
