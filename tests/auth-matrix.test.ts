/**
 * The region's auth matrix, generated from its router (Hono's `app.routes`): every route is
 * either listed public here on purpose or refuses a request without a key (401), with an unknown
 * key (401) and, when it is an edge or admin route, a key of a lesser role (403). A route added without auth, or
 * without a decision here, fails.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createApp } from '../regional/src/app.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

/** public: no key; key: any partner, edge or admin key; edge: the edge's (or an admin) key; admin: admin keys only. */
type Access = 'public' | 'key' | 'edge' | 'admin';

/** Every route's intended access. Public ones say why. */
const POLICY: Record<string, Access> = {
  'GET /healthz': 'public', // liveness for the balancer
  'GET /readyz': 'public', // readiness for the balancer
  'GET /metrics': 'public', // Prometheus scrape (keep the port private)
  'GET /dashboard': 'public', // the dashboard page; its data routes need a key
  'GET /dashboard/:file': 'public', // the dashboard's static files
  'POST /v1/embeddings': 'key',
  'POST /v1/rerank': 'key',
  'POST /v1/generate': 'key',
  'GET /v1/usage': 'key',
  'POST /v2/rerank': 'key',
  'POST /v1/chat/completions': 'key',
  'GET /v1/models': 'key',
  'GET /v1/models/:id{.+}': 'key',
  'GET /v1/admin/answers': 'admin',
  'DELETE /v1/admin/answers': 'admin',
  'DELETE /v1/admin/answers/:id': 'admin',
  'POST /v1/kb/documents': 'admin',
  'DELETE /v1/kb/documents/:id{.+}': 'admin',
  'POST /v1/admin/keys': 'admin',
  'DELETE /v1/admin/keys/:id': 'admin',
  'GET /v1/ops/timeseries': 'admin',
  'GET /v1/ops/active-models': 'edge', // the edge follows promotions
  'GET /v1/ops/models/:name/:version/files/:path{.+}': 'edge', // and downloads the files
  'POST /v1/batch': 'admin',
  'GET /v1/batch': 'admin',
  'GET /v1/batch/:id': 'admin',
  'GET /v1/batch/:id/output': 'admin',
  'DELETE /v1/batch/:id': 'admin',
  'GET /v1/ops/drift': 'admin',
  'GET /v1/ops/fleet': 'admin',
  'GET /v1/ops/rollouts': 'admin',
  'GET /v1/ops/rollouts/:model': 'admin',
  'PUT /v1/ops/rollouts/:model': 'admin',
  'DELETE /v1/ops/rollouts/:model': 'admin',
  'GET /v1/ops/rollouts/:model/status': 'admin',
  'POST /v1/ops/rollouts/:model/evaluate': 'admin',
  'GET /v1/ops/shadow/:model': 'admin',
};

let dir: string;
let r: RunningRegional;
let partnerKey: string;

setupOrFail(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-auth-'));
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db') }), () => {});
  const issued = await fetch(`${r.url}/v1/admin/keys`, { method: 'POST', headers: { authorization: 'Bearer dev-admin-key', 'content-type': 'application/json' }, body: JSON.stringify({ name: 'matrix-partner', rateLimitPerMinute: 100_000 }) });
  partnerKey = (await issued.json()).key;
}, 120_000);
afterAll(async () => {
  await r?.close();
  rmSync(dir, { recursive: true, force: true });
});

const routes = () => [...new Set(createApp(r.services, { ready: true }).routes.filter((x) => x.method !== 'ALL').map((x) => `${x.method} ${x.path}`))];
const concrete = (pattern: string) => pattern.replace(/:([a-z]+)(\{[^}]*\})?/g, (_, name) => (name === 'file' ? 'index.html' : `x-${name}`));

async function call(route: string, auth?: string): Promise<number> {
  const [method, pattern] = route.split(' ');
  const res = await fetch(r.url + concrete(pattern), {
    method,
    headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: '{}' }),
  });
  await res.body?.cancel();
  return res.status;
}

describe('auth matrix from the router', () => {
  it('has an access decision for every route', () => {
    expect(routes().sort()).toEqual(Object.keys(POLICY).sort());
  });

  it('refuses every non-public route without a key or with an unknown key, and admin routes to a partner key', async () => {
    const wrong: string[] = [];
    for (const route of routes()) {
      const access = POLICY[route];
      const none = await call(route);
      const unknown = await call(route, 'sy_not_a_real_key_0000000000');
      if (access === 'public') {
        if (none === 401 || none === 403) wrong.push(`${route}: public route answered ${none}`);
        continue;
      }
      if (none !== 401) wrong.push(`${route}: no key → ${none}`);
      if (unknown !== 401) wrong.push(`${route}: unknown key → ${unknown}`);
      const partner = await call(route, partnerKey);
      const edge = await call(route, 'dev-edge-key');
      if ((access === 'admin' || access === 'edge') && partner !== 403) wrong.push(`${route}: partner key → ${partner}`);
      if (access === 'admin' && edge !== 403) wrong.push(`${route}: edge key → ${edge}`);
      if (access === 'edge' && (edge === 401 || edge === 403)) wrong.push(`${route}: edge key refused (${edge})`);
      if (access === 'key' && (partner === 401 || partner === 403)) wrong.push(`${route}: partner key refused (${partner})`);
    }
    expect(wrong).toEqual([]);
  });
});
