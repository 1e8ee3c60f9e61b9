/**
 * D1 errors at the edge: the Worker's real local D1 (CACHE_DB) is left as a broken migration would
 * leave it — the cache's migration recorded as applied, its tables missing — so every query the
 * cache makes fails in D1. Chat still answers, marked `cache_unavailable`; template answers do not
 * notice; the admin cache route answers 503 STORE_UNAVAILABLE, never a bare 500. Once the tables
 * exist the cache serves hits again, with no restart.
 */
import Database from 'better-sqlite3';
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { chatStream } from './helpers/chat-stream.ts';
import { until } from './helpers/live-rollout-client.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

const CACHEABLE = 'how much does shipping to alaska cost?';
const MIGRATION = 'edge/migrations/0000_cache.sql';

let dir: string;
let regional: RunningRegional;
let edge: EdgeProcess;
let session = 0;

/** The local D1 of wrangler.toml's CACHE_DB with only the migrations table, recording 0000 as applied. */
async function brokenD1(persistTo: string): Promise<void> {
  const sql = "CREATE TABLE d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL); INSERT INTO d1_migrations (name) VALUES ('0000_cache.sql')";
  await promisify(execFile)(join('node_modules', '.bin', 'wrangler'), ['d1', 'execute', 'switchyard-cache', '--local', '--persist-to', persistTo, '--command', sql], {
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
    timeout: 120_000,
  });
}

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-d1-'));
  const persistTo = join(dir, 'wrangler');
  // Generous deadlines: on a loaded machine a late region must not turn the cacheable answer into a fallback.
  const [r] = await Promise.all([
    startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), CLASSIFY_TIMEOUT_MS: '5000', EMBED_TIMEOUT_MS: '5000', RETRIEVE_TIMEOUT_MS: '5000', RERANK_TIMEOUT_MS: '5000' }), () => {}),
    brokenD1(persistTo),
  ]);
  regional = r;
  edge = await startEdgeProcess({ port: 25000 + Math.floor(Math.random() * 2000), regionalUrl: regional.url, persistTo, vars: { MODEL_REFRESH_INTERVAL_MS: '0', UPSTREAM_TIMEOUT_MS: '20000' }, quiet: true });
}, 300_000);
afterAll(async () => {
  await edge?.stop();
  await regional?.close();
  rmSync(dir, { recursive: true, force: true });
});

const chat = async (message: string) => (await chatStream(edge.url, message, `d1-${++session}`)).end();

/** Runs the cache migration's SQL on the D1 file the Worker has open (the file that holds d1_migrations). */
function repairD1(): void {
  const folder = join(dir, 'wrangler', 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const files = readdirSync(folder).filter((f) => f.endsWith('.sqlite') && f !== 'metadata.sqlite');
  expect(files).toHaveLength(1);
  const db = new Database(join(folder, files[0]));
  try {
    db.exec(readFileSync(MIGRATION, 'utf8').replaceAll('--> statement-breakpoint', ''));
  } finally {
    db.close();
  }
}

describe('D1 errors at the edge', () => {
  it('answers marked while the cache tables are missing, and serves hits again once they exist', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await chat(CACHEABLE);
      expect(r.error).toBeUndefined();
      expect(r.route?.path).toBe('llm');
      expect(r.text.length).toBeGreaterThan(20);
      expect(r.done?.fallbacks).toContain('cache_unavailable');
    }
    const template = await chat('what is your return policy?');
    expect(template.route?.path).toBe('template');
    expect(template.done?.fallbacks ?? []).not.toContain('cache_unavailable');
    const del = await fetch(`${edge.url}/v1/cache`, { method: 'DELETE', headers: { authorization: 'Bearer dev-admin-key' } });
    expect(del.status).toBe(503);
    expect(del.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await del.json()).error.code).toBe('STORE_UNAVAILABLE');

    repairD1();
    const hit = await until(async () => {
      const r = await chat(CACHEABLE);
      expect(r.error).toBeUndefined();
      return r.route?.path === 'cache' ? r : null;
    }, 60_000);
    expect(hit.done?.fallbacks ?? []).not.toContain('cache_unavailable');
    expect((await fetch(`${edge.url}/v1/cache`, { method: 'DELETE', headers: { authorization: 'Bearer dev-admin-key' } })).status).toBe(200);
  }, 180_000);
});
