/**
 * Faults at start-up: a region whose PostgreSQL cannot be reached fails to start with the reason,
 * in bounded time, and leaves no half-started server behind (a supervisor restarts it; nothing
 * answers 200 meanwhile). Redis down is in regional-rate-limit.test.ts, a corrupt model file in
 * regional-readiness.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional } from '../regional/src/server.ts';
import { closedPort } from './helpers/closed-port.ts';


describe('start-up faults', () => {
  it('fails with the reason, within bounded time, when PostgreSQL is unreachable', async () => {
    const pgPort = await closedPort();
    const port = await closedPort();
    const t0 = Date.now();
    const started = startRegional(loadConfig({ PORT: String(port), DATABASE_URL: `postgres://postgres@127.0.0.1:${pgPort}/nowhere` }), () => {});
    await expect(started).rejects.toThrow(/ECONNREFUSED|connect|PostgreSQL/i);
    expect(Date.now() - t0).toBeLessThan(60_000);
    // The listener that answered 503 while starting is closed again.
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
  }, 90_000);
});
