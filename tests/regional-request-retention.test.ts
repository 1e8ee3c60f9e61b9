/**
 * A finished request leaves nothing of itself behind in the region: the Hono context of every
 * streamed and JSON answer can be collected once its response is done. (A streamed /v1/generate
 * once kept an abort listener on its request's signal that held its context; undici keeps that
 * signal alive until the request it made from it is collected, so every streamed answer stayed:
 * the region's heap grew ~4 MB/min in bench:soak, BENCHMARKS.md "Soak, third look".)
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, expect, it } from 'vitest';
import { createApp } from '../regional/src/app.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const dir = mkdtempSync(join(tmpdir(), 'sy-retention-'));
let r: RunningRegional;
let server: ReturnType<typeof serve>;
let url = '';
/** A weak reference to the context of every request the app served. */
const contexts: WeakRef<object>[] = [];

setupOrFail(async () => {
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), LLM_BACKEND: 'extractive' }), () => {});
  const app = new Hono();
  app.use('*', async (c, next) => {
    contexts.push(new WeakRef(c));
    await next();
  });
  app.route('/', createApp(r.services, { ready: true }));
  await new Promise<void>((resolve) => {
    server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => ((url = `http://127.0.0.1:${info.port}`), resolve()));
  });
}, 120_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

it('lets every finished request be collected, streamed answers too', async () => {
  const headers = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json' };
  for (let i = 0; i < 12; i++) {
    const body = JSON.stringify({ message: 'how long does shipping to alaska take?', sessionId: `retention-${i}` });
    const streamed = await fetch(`${url}/v1/generate`, { method: 'POST', headers, body });
    expect(await streamed.text()).toContain('event: done');
    expect((await fetch(`${url}/v1/generate`, { method: 'POST', headers: { ...headers, accept: 'application/json' }, body })).status).toBe(200);
  }
  expect(contexts.length).toBe(24);
  // Collections, with turns of the event loop between them for finalizers and closed sockets.
  for (let i = 0; i < 6; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  expect(contexts.filter((w) => w.deref() !== undefined).length).toBeLessThanOrEqual(2);
}, 120_000);
