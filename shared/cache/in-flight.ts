/**
 * Single flight for cache misses: while the region answers one message of a key frame, another
 * message of the same frame whose key is as near as a cache hit needs (same intent, aspect,
 * qualifier and entities; similarity at or above the intent's hit threshold) waits for that
 * answer to land in the cache, then looks again, instead of asking the region a second time.
 * Per isolate: concurrent first askings of a popular question cost one LLM call per isolate.
 * A wait is bounded (`waitMs`); a flight that ends without a cacheable answer releases its
 * followers, who then go to the region themselves. Refuses nothing; holds no answers.
 */
import { frameKey, type KeyFrame } from './key-frame.ts';

interface Flight {
  vector: Float32Array;
  landed: Promise<void>;
}

const dot = (a: Float32Array, b: Float32Array) => {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
};
const keyOf = (f: KeyFrame) => `${f.intent}\u0001${frameKey(f)}`;

export class InFlight {
  private readonly flights = new Map<string, Flight[]>();

  /** Flights now in the air (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const fs of this.flights.values()) n += fs.length;
    return n;
  }

  /** The landing of a flight this key would share (its nearest at or above `threshold`), or null. */
  find(frame: KeyFrame, vector: Float32Array, threshold: number): Promise<void> | null {
    let best: Flight | null = null;
    let bestSim = threshold;
    for (const f of this.flights.get(keyOf(frame)) ?? []) {
      const s = dot(f.vector, vector);
      if (s >= bestSim) [best, bestSim] = [f, s];
    }
    return best?.landed ?? null;
  }

  /** Waits for `landed` at most `waitMs`; true when it landed in time. */
  static async wait(landed: Promise<void>, waitMs: number): Promise<boolean> {
    let t: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<boolean>((r) => (t = setTimeout(() => r(false), waitMs)));
    try {
      return await Promise.race([landed.then(() => true), timeout]);
    } finally {
      clearTimeout(t);
    }
  }

  /** Starts a flight for this key; the returned function lands it (idempotent). */
  start(frame: KeyFrame, vector: Float32Array): () => void {
    let land!: () => void;
    const flight: Flight = { vector, landed: new Promise<void>((r) => (land = r)) };
    const key = keyOf(frame);
    this.flights.set(key, [...(this.flights.get(key) ?? []), flight]);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const rest = (this.flights.get(key) ?? []).filter((f) => f !== flight);
      if (rest.length) this.flights.set(key, rest);
      else this.flights.delete(key);
      land();
    };
  }
}
