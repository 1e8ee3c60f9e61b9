/**
 * Per-key rate limits (requests per minute).
 *
 * Without REDIS_URL they are counted in this process (a sliding one-minute window). With
 * REDIS_URL every regional process counts in the same Redis (rate-limiter-flexible, one-minute
 * windows per key), so a partner's limit holds across the fleet. Redis is an external call: each
 * check has a timeout (REDIS_TIMEOUT_MS), and while Redis is unreachable, not ready or slow the
 * in-process limiter answers instead (switchyard_fallbacks_total{kind="rate_limit_redis"}), so
 * an outage of Redis never fails or holds up a request; it only makes the limit per process
 * until Redis is back.
 */
import { Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';

export interface KeyRateLimiter {
  /** Seconds to wait, or 0 when the request may go ahead (and is counted). */
  take(keyId: string, perMinute: number): Promise<number>;
  close(): Promise<void>;
}

/** The in-process limiter: a sliding one-minute window per key. */
export class LocalRateLimiter implements KeyRateLimiter {
  private readonly hits = new Map<string, number[]>();

  /** Synchronous core of {@link take}: seconds to wait, or 0 (and the request is counted). */
  check(keyId: string, perMinute: number, now = Date.now()): number {
    const since = now - 60_000;
    const list = (this.hits.get(keyId) ?? []).filter((t) => t > since);
    if (list.length >= perMinute) {
      this.hits.set(keyId, list);
      return Math.max(1, Math.ceil((list[0] + 60_000 - now) / 1000));
    }
    list.push(now);
    this.hits.set(keyId, list);
    return 0;
  }

  async take(keyId: string, perMinute: number): Promise<number> {
    return this.check(keyId, perMinute);
  }

  async close(): Promise<void> {}
}

export interface RedisRateLimiterOptions {
  /** Prefix of every Redis key (one deployment's, or one test run's). */
  prefix: string;
  /** Budget of one check against Redis (ms). */
  timeoutMs: number;
  /** Counts while Redis does not answer. */
  local?: LocalRateLimiter;
  /** Every check the in-process limiter answered, with why. */
  onFallback?: (reason: unknown) => void;
}

export class RedisRateLimiter implements KeyRateLimiter {
  /** One limiter per distinct limit (rate-limiter-flexible fixes the points per instance). */
  private readonly byLimit = new Map<number, RateLimiterRedis>();
  private readonly local: LocalRateLimiter;

  constructor(
    readonly redis: Redis,
    private readonly o: RedisRateLimiterOptions,
  ) {
    this.local = o.local ?? new LocalRateLimiter();
  }

  async take(keyId: string, perMinute: number): Promise<number> {
    let limiter = this.byLimit.get(perMinute);
    if (!limiter) {
      limiter = new RateLimiterRedis({ storeClient: this.redis, keyPrefix: `${this.o.prefix}:${perMinute}`, points: perMinute, duration: 60, rejectIfRedisNotReady: true });
      this.byLimit.set(perMinute, limiter);
    }
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      await Promise.race([
        limiter.consume(keyId),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`Redis did not answer within ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
        }),
      ]);
      return 0;
    } catch (e) {
      if (e instanceof RateLimiterRes) return Math.max(1, Math.ceil(e.msBeforeNext / 1000));
      this.o.onFallback?.(e);
      return this.local.check(keyId, perMinute);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

/**
 * A Redis client for what the fleet shares (rate limits, rollout windows): commands fail at once
 * while it is not connected (no offline queue), it keeps reconnecting in the background, and
 * connection errors are reported once per outage through `log` instead of as unhandled error events.
 */
export function rateLimitRedis(url: string, timeoutMs: number, log: (msg: string) => void = () => {}, what = { use: 'rate limits', without: 'limits are per process', back: 'limits are shared again' }): Redis {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    connectTimeout: Math.max(1000, timeoutMs * 10),
    commandTimeout: Math.max(timeoutMs, 1),
    retryStrategy: (attempt) => Math.min(attempt * 250, 5000),
  });
  let down = false;
  redis.on('error', (e: Error) => {
    if (!down) log(`${what.use}: Redis unavailable (${e.message}); ${what.without} until it is back`);
    down = true;
  });
  redis.on('ready', () => {
    if (down) log(`${what.use}: Redis is back; ${what.back}`);
    down = false;
  });
  return redis;
}

export function createRateLimiter(
  config: { REDIS_URL?: string; REDIS_KEY_PREFIX: string; REDIS_TIMEOUT_MS: number },
  onFallback: (reason: unknown) => void,
  log?: (msg: string) => void,
): KeyRateLimiter {
  if (!config.REDIS_URL) return new LocalRateLimiter();
  return new RedisRateLimiter(rateLimitRedis(config.REDIS_URL, config.REDIS_TIMEOUT_MS, log), { prefix: config.REDIS_KEY_PREFIX, timeoutMs: config.REDIS_TIMEOUT_MS, onFallback });
}
