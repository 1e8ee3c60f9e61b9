/**
 * The bench's two-process edge (`storage: 'own-process'`, scripts/soak/edge-workerd.ts): the Worker
 * in one `workerd serve`, its session Durable Objects and the D1 stand-in's object in a second (the
 * storage host), reached over the loopback by workerd's JS RPC, in front of the real region. A
 * follow-up is resolved from the session the storage host holds, the cache round-trips through it,
 * a second Worker process on the same storage host (a new isolate: nothing of the first's in memory)
 * reads both, and once the storage host is gone the Worker answers single-turn, marked
 * `session_unavailable`, as with an unreachable store.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChatReply } from '../shared/api/chat.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeUnderWorkerd } from '../scripts/soak/edge-workerd.ts';

const PORT = Number(process.env.EDGE_PORT) || 21000 + Math.floor(Math.random() * 2000);
let dir: string;
let regional: RunningRegional;
let edge: Awaited<ReturnType<typeof startEdgeUnderWorkerd>>;
const CACHEABLE = 'how much does shipping to alaska cost?';
const edgeOptions = () => ({
  port: PORT,
  storagePort: PORT + 1,
  regionalUrl: regional.url,
  persistTo: join(dir, 'edge'),
  storage: 'own-process' as const,
  vars: { MODEL_REFRESH_INTERVAL_MS: '0', CACHE_WARM_FAQ: 'false', CLIENT_RATE_LIMIT_PER_MINUTE: 'off', SESSION_RATE_LIMIT_PER_MINUTE: 'off' },
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-storage-host-'));
  regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'regional.db'), LOG_LEVEL: 'warn' }), () => {});
  edge = await startEdgeUnderWorkerd(edgeOptions());
}, 300_000);

afterAll(async () => {
  await edge?.stop();
  await regional?.close();
  rmSync(dir, { recursive: true, force: true });
});

let sessions = 0;
const newSession = () => `host-${process.pid}-${++sessions}`;
const chat = (url: string, sessionId: string, message: string): Promise<ChatReply> =>
  fetch(`${url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify({ message, sessionId }) }).then((r) => r.json() as Promise<ChatReply>);
const fallbacks = (r: ChatReply) => [...r.route.fallbacks, ...(r.done?.fallbacks ?? [])];

describe('the edge with its storage in a process of its own', () => {
  it('runs the session objects and the D1 stand-in in the storage host, not in the Worker’s process', () => {
    expect(edge.storage?.child.pid).toBeGreaterThan(0);
    expect(edge.storage?.child.pid).not.toBe(edge.child.pid);
    // Both objects' SQLite folders, made by the storage host's workerd (the Worker's config declares no Durable Object).
    expect(readdirSync(join(dir, 'edge', 'do')).sort()).toEqual(['switchyard-edge-SessionStore', 'switchyard-edge-d1']);
  });

  it('resolves a follow-up from the session the storage host holds', async () => {
    const s = newSession();
    const first = await chat(edge.url, s, 'Do you ship to Canada?');
    expect(fallbacks(first)).not.toContain('session_unavailable');
    // The turn's background writes have landed: the context comes back from the object, not from the isolate's unacknowledged writes.
    await new Promise((r) => setTimeout(r, 500));
    const follow = await chat(edge.url, s, 'how long does it take?');
    expect(fallbacks(follow)).not.toContain('session_unavailable');
    expect(follow.route.resolved?.carried).toEqual(['place:canada']);
  });

  it('writes a region answer to the cache through the storage host and reads it back as a hit', async () => {
    let reply: ChatReply | undefined;
    for (let i = 0; i < 20 && reply?.route.path !== 'cache'; i++) {
      reply = await chat(edge.url, newSession(), CACHEABLE);
      expect(fallbacks(reply)).not.toContain('cache_unavailable');
      if (reply.route.path !== 'cache') await new Promise((r) => setTimeout(r, 250));
    }
    expect(reply?.route.path).toBe('cache');
  });

  it('gives a second Worker process on the same storage host the session and the cache entry the first wrote', async () => {
    const s = newSession();
    await chat(edge.url, s, 'Do you ship to Canada?');
    await new Promise((r) => setTimeout(r, 500));
    // A new isolate: no unacknowledged writes and no cache index of its own, both read from the storage host.
    const second = await startEdgeUnderWorkerd({ ...edgeOptions(), port: PORT + 2, startStorageHost: false });
    try {
      const follow = await chat(second.url, s, 'how long does it take?');
      expect(fallbacks(follow)).not.toContain('session_unavailable');
      expect(follow.route.resolved?.carried).toEqual(['place:canada']);
      const hit = await chat(second.url, newSession(), CACHEABLE);
      expect(hit.route.path).toBe('cache');
    } finally {
      await second.stop();
    }
  });

  it('answers single-turn, marked session_unavailable, once the storage host is gone', async () => {
    const s = newSession();
    await chat(edge.url, s, 'Do you ship to Canada?');
    const host = edge.storage!.child;
    const gone = new Promise((r) => host.once('exit', r));
    host.kill('SIGKILL');
    await gone;
    const follow = await chat(edge.url, s, 'how long does it take?');
    expect(fallbacks(follow)).toContain('session_unavailable');
    expect(follow.route.resolved?.carried).toEqual([]);
  });

  it('is refused under wrangler dev, and an unknown topology is refused, before any tier starts', () => {
    const run = (...args: string[]) => spawnSync(process.execPath, ['--import', 'tsx', 'scripts/bench-traffic.ts', ...args], { encoding: 'utf8', timeout: 30_000 });
    const wrangler = run('--edge-runner', 'wrangler', '--edge-storage', 'own-process');
    expect(wrangler.status).not.toBe(0);
    expect(wrangler.stderr).toMatch(/--edge-storage own-process needs --edge-runner workerd/);
    expect(wrangler.stderr).not.toMatch(/region up/);
    const unknown = run('--edge-storage', 'elsewhere');
    expect(unknown.status).not.toBe(0);
    expect(unknown.stderr).toMatch(/the edge storage must be one of same, own-process/);
  });
});
