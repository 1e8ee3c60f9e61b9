/**
 * PostgreSQL lost mid-run: the region reaches its database through a TCP switch this test
 * controls (helpers/switch-proxy.ts in front of 127.0.0.1:5432), which it cuts while an answer
 * streams and later restores. While it is down: 503 STORE_UNAVAILABLE with Retry-After on the
 * native and OpenAI-compatible routes (never a bare 500), the answer under way still ends, and
 * its turn is retried and counted lost (never silently); the process lives on. Once it is back the
 * region answers again with no restart, and every turn answered while it was up is stored.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { eventStream } from './helpers/chat-stream.ts';
import { startHeldBedrock, type HeldBedrock } from './helpers/held-bedrock.ts';
import { until } from './helpers/live-rollout-client.ts';
import { createTempDatabase } from './helpers/pg-database.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';
import { startSwitchProxy, type SwitchProxy } from './helpers/switch-proxy.ts';

const EDGE = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
const MESSAGE = 'can you recommend a dark fantasy manga like berserk?';

let dir: string;
let db: Awaited<ReturnType<typeof createTempDatabase>>;
let proxy: SwitchProxy;
let bedrock: HeldBedrock;
let r: RunningRegional;

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-pg-lost-'));
  db = await createTempDatabase();
  proxy = await startSwitchProxy('http://127.0.0.1:5432');
  const viaProxy = new URL(db.url);
  viaProxy.port = new URL(proxy.url).port;
  bedrock = await startHeldBedrock();
  process.env.AWS_ACCESS_KEY_ID ??= 'test';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'test';
  r = await startRegional(
    loadConfig({
      PORT: '0',
      DATABASE_URL: viaProxy.toString(),
      LLM_BACKEND: 'bedrock',
      BEDROCK_REGIONS: 'us-east-1',
      BEDROCK_ENDPOINT: bedrock.url,
      LLM_FIRST_TOKEN_TIMEOUT_MS: '30000',
      LLM_TOTAL_TIMEOUT_MS: '300000',
      CLASSIFY_TIMEOUT_MS: '5000',
      BATCH_DIR: join(dir, 'batch'),
    }),
    () => {},
  );
}, 180_000);
afterAll(async () => {
  await r?.close();
  await bedrock?.close();
  await proxy?.close();
  await db?.drop();
  rmSync(dir, { recursive: true, force: true });
});

const generate = (sessionId: string) =>
  fetch(`${r.url}/v1/generate`, { method: 'POST', headers: { ...EDGE, accept: 'application/json' }, body: JSON.stringify({ message: MESSAGE, sessionId }) });

async function turnWrites(): Promise<Record<string, number>> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return Object.fromEntries([...text.matchAll(/^switchyard_turn_writes_total\{result="(\w+)"\} (\d+)/gm)].map((m) => [m[1], Number(m[2])]));
}

/** Stored rows (a user and an assistant turn per answer) of each session, read past the switch. */
async function storedTurns(): Promise<Record<string, number>> {
  const c = new pg.Client({ connectionString: db.url });
  await c.connect();
  try {
    const { rows } = await c.query('SELECT c.session_id, count(*)::int AS n FROM turns t JOIN conversations c ON c.id = t.conversation_id GROUP BY c.session_id');
    return Object.fromEntries(rows.map((x) => [x.session_id, x.n]));
  } finally {
    await c.end();
  }
}

describe('PostgreSQL lost mid-run', () => {
  it('answers 503 STORE_UNAVAILABLE while it is gone, counts the turn it could not store, and recovers without a restart', async () => {
    bedrock.release();
    expect((await generate('pg-before')).status).toBe(200);

    // An answer under way when the database goes.
    bedrock.hold();
    const inFlight = await eventStream(`${r.url}/v1/generate`, { message: MESSAGE, sessionId: 'pg-in-flight' }, EDGE);
    await inFlight.until((e) => e.event === 'delta');
    const writesBefore = await turnWrites();
    proxy.mode = 'refuse';
    bedrock.release();
    const ended = await inFlight.end();
    expect(ended.error).toBeUndefined();
    expect(ended.events.at(-1)?.event).toBe('done');
    const writes = await turnWrites();
    expect(writes.lost - (writesBefore.lost ?? 0)).toBe(1);
    expect(writes.retried - (writesBefore.retried ?? 0)).toBeGreaterThanOrEqual(1);

    // While it is gone: a machine-readable 503 that says when to retry, on each kind of route.
    const down = await generate('pg-during');
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await down.json()).error.code).toBe('STORE_UNAVAILABLE');
    const openai = await fetch(`${r.url}/v1/chat/completions`, { method: 'POST', headers: EDGE, body: JSON.stringify({ model: 'switchyard', messages: [{ role: 'user', content: MESSAGE }] }) });
    expect(openai.status).toBe(503);
    expect((await openai.json()).error).toMatchObject({ type: 'server_error', code: 'store_unavailable' });
    const admin = await fetch(`${r.url}/v1/admin/keys`, { method: 'POST', headers: { ...EDGE, authorization: 'Bearer dev-admin-key' }, body: JSON.stringify({ name: 'during-outage' }) });
    expect(admin.status).toBe(503);
    expect((await fetch(`${r.url}/healthz`)).status).toBe(200);

    // Back: answers again with no restart, and its turns are stored.
    proxy.mode = 'pass';
    await until(async () => (await generate('pg-after-probe')).status === 200, 60_000);
    const after = await generate('pg-after');
    expect(after.status).toBe(200);
    expect((await after.json()).route.path).toBe('llm');
    const stored = await storedTurns();
    expect(stored).toMatchObject({ 'pg-before': 2, 'pg-after': 2 });
    expect(stored['pg-in-flight']).toBeUndefined();
    expect(stored['pg-during']).toBeUndefined();
    expect((await turnWrites()).lost).toBe(1);
  }, 180_000);
});
