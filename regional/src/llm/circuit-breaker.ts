/**
 * A consecutive-failure circuit breaker, one per upstream (e.g. Bedrock region + model).
 *
 * closed    → every call goes through; `failureThreshold` consecutive failures open it.
 * open      → calls are refused until `cooldownMs` has passed, then it is half-open.
 * half_open → exactly one trial call goes through; success closes it, failure re-opens it
 *             (for another full cool-down). Other calls are refused while the trial runs.
 *
 * A caller takes a `Permit` and reports exactly one outcome on it. Outcomes of permits issued
 * before the breaker last opened are ignored, so a slow success from before an outage cannot
 * close a breaker that opened meanwhile. `release()` is the neutral outcome (caller gave up or
 * the request was invalid): it says nothing about the upstream's health.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  /** Consecutive failures that open the breaker. Default 5. */
  failureThreshold?: number;
  /** How long an open breaker refuses calls before it lets one trial through. Default 30 s. */
  cooldownMs?: number;
  now?: () => number;
}

export interface Permit {
  success(): void;
  failure(): void;
  release(): void;
}

export class CircuitBreaker {
  readonly failureThreshold: number;
  readonly cooldownMs: number;
  private readonly now: () => number;
  private failures = 0;
  private openedAt: number | null = null;
  private trialInFlight = false;
  /** Bumped each time the breaker opens; permits from an older generation are ignored. */
  private generation = 0;

  constructor(options: BreakerOptions = {}) {
    this.failureThreshold = options.failureThreshold ?? 5;
    this.cooldownMs = options.cooldownMs ?? 30_000;
    this.now = options.now ?? Date.now;
    if (!Number.isInteger(this.failureThreshold) || this.failureThreshold < 1) throw new RangeError('failureThreshold must be an integer ≥ 1');
    if (!(this.cooldownMs >= 0)) throw new RangeError('cooldownMs must be ≥ 0');
  }

  get state(): BreakerState {
    if (this.openedAt === null) return 'closed';
    return this.now() - this.openedAt >= this.cooldownMs ? 'half_open' : 'open';
  }

  get consecutiveFailures(): number {
    return this.failures;
  }

  /** A permit to call the upstream, or null when the breaker refuses the call. */
  tryAcquire(): Permit | null {
    const state = this.state;
    if (state === 'open') return null;
    const trial = state === 'half_open';
    if (trial) {
      if (this.trialInFlight) return null;
      this.trialInFlight = true;
    }
    const generation = this.generation;
    let done = false;
    const settle = (outcome: 'success' | 'failure' | 'release') => {
      if (done) return;
      done = true;
      if (trial) this.trialInFlight = false;
      if (generation !== this.generation) return;
      if (outcome === 'success') this.close();
      else if (outcome === 'failure') this.recordFailure(trial);
    };
    return {
      success: () => settle('success'),
      failure: () => settle('failure'),
      release: () => settle('release'),
    };
  }

  private close(): void {
    this.failures = 0;
    this.openedAt = null;
  }

  private recordFailure(trial: boolean): void {
    this.failures++;
    if (trial || this.failures >= this.failureThreshold) {
      this.openedAt = this.now();
      this.generation++;
    }
  }
}

/** One breaker per key, created on first use with the same options. */
export class CircuitBreakerRegistry {
  private readonly breakers = new Map<string, CircuitBreaker>();
  constructor(private readonly options: BreakerOptions = {}) {}

  get(key: string): CircuitBreaker {
    let b = this.breakers.get(key);
    if (!b) {
      b = new CircuitBreaker(this.options);
      this.breakers.set(key, b);
    }
    return b;
  }

  /** State of every breaker seen so far, for metrics and health endpoints. */
  snapshot(): Record<string, { state: BreakerState; consecutiveFailures: number }> {
    const out: Record<string, { state: BreakerState; consecutiveFailures: number }> = {};
    for (const [k, b] of this.breakers) out[k] = { state: b.state, consecutiveFailures: b.consecutiveFailures };
    return out;
  }
}
