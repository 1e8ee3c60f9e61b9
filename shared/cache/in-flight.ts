/**
 * Single flight for cache misses: while the region answers one message of a key frame, another
 * message of the same frame whose key is as near as a cache hit needs (same intent, aspect,
 * qualifier and entities; similarity at or above the intent's hit threshold) waits for that
 * answer to land in the cache, then looks again, instead of asking the region a second time.
 * Per isolate: concurrent first askings of a popular question cost one LLM call per isolate.
 * A wait is bounded (`waitMs`); a flight that ends without a cacheable answer releases its
 * followers, who then go to the region themselves. Refuses nothing; holds no answers.
 * A follower polls its flight's flag on its own timers rather than awaiting a promise another
 * request resolves: in workerd a request must not wait on another request's I/O context.
 */
import { frameKey, type KeyFrame } from './key-frame.ts';

export interface Flight {
  vector: Float32Array;
  landed: boolean;
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

  /** The flight this key would share (its nearest at or above `threshold`), or null. */
  find(frame: KeyFrame, vector: Float32Array, threshold: number): Flight | null {
    let best: Flight | null = null;
    let bestSim = threshold;
    for (const f of this.flights.get(keyOf(frame)) ?? []) {
      const s = dot(f.vector, vector);
      if (s >= bestSim) [best, bestSim] = [f, s];
    }
    return best;
  }

  /** Waits until `flight` has landed, at most `waitMs`, looking every `pollMs`; true when it landed in time. */
  static async wait(flight: Flight, waitMs: number, pollMs = 20): Promise<boolean> {
    const until = Date.now() + waitMs;
    while (!flight.landed && Date.now() < until) await new Promise((r) => setTimeout(r, Math.min(pollMs, Math.max(1, until - Date.now()))));
    return flight.landed;
  }

  /** Starts a flight for this key; the returned function lands it (idempotent). */
  start(frame: KeyFrame, vector: Float32Array): () => void {
    const flight: Flight = { vector, landed: false };
    const key = keyOf(frame);
    this.flights.set(key, [...(this.flights.get(key) ?? []), flight]);
    return () => {
      if (flight.landed) return;
      flight.landed = true;
      const rest = (this.flights.get(key) ?? []).filter((f) => f !== flight);
      if (rest.length) this.flights.set(key, rest);
      else this.flights.delete(key);
    };
  }
}
