/**
 * Rollout windows shared by every region instance of a fleet (REDIS_URL), so a canary is judged on
 * the fleet's traffic, not one process's share of it. Each instance writes its own window of an
 * experiment (per-version buckets, latency reservoirs cut to 256 samples a bucket) into one Redis
 * hash per model and experiment, field = its instance id, expiring a minute after the window; the
 * canary monitor of any instance reads every field and judges the merged window
 * (VariantWindows.merged: counts add up, latency samples pool). The instance that sees a breach
 * records the rollback in the registry (compare-and-set on the rule's revision), and the others
 * take it from there on their next rule refresh (ROLLOUT_REFRESH_MS).
 *
 * Refuses to fail a request: it runs off the serving path, every Redis command has a timeout, and
 * while Redis is unreachable the monitor judges this instance's own window (logged, counted as
 * switchyard_fallbacks_total{kind="rollout_windows_redis"}).
 */
import type { Redis } from 'ioredis';
import { hash32 } from './rollout.ts';
import type { WindowBucket } from './rollout-stats.ts';

export type WindowSnapshot = Record<string, WindowBucket[]>;

export interface SharedWindows {
  /** Writes this instance's window of an experiment. */
  publish(model: string, experiment: string, own: WindowSnapshot): Promise<void>;
  /** Writes this instance's window, then reads every live instance's (its own included). */
  exchange(model: string, experiment: string, own: WindowSnapshot): Promise<WindowSnapshot[]>;
  close(): Promise<void>;
}

export class RedisSharedWindows implements SharedWindows {
  constructor(
    private readonly redis: Redis,
    private readonly o: { prefix: string; domain: string; instance: string; windowMs: number },
  ) {}

  private key(model: string, experiment: string): string {
    // Keyed by domain: two domains' instances sharing one Redis judge their own canaries only.
    return `${this.o.prefix}:rollout-window:${this.o.domain}:${model}:${hash32(experiment).toString(36)}`;
  }

  async publish(model: string, experiment: string, own: WindowSnapshot): Promise<void> {
    const key = this.key(model, experiment);
    await this.redis.multi().hset(key, this.o.instance, JSON.stringify(own)).pexpire(key, this.o.windowMs + 60_000).exec();
  }

  async exchange(model: string, experiment: string, own: WindowSnapshot): Promise<WindowSnapshot[]> {
    await this.publish(model, experiment, own);
    const all = await this.redis.hgetall(this.key(model, experiment));
    const out: WindowSnapshot[] = [];
    for (const text of Object.values(all)) {
      try {
        const snap = JSON.parse(text) as unknown;
        if (snap && typeof snap === 'object' && !Array.isArray(snap)) out.push(snap as WindowSnapshot);
      } catch {
        // Another instance's unreadable field: judged without it.
      }
    }
    return out;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
