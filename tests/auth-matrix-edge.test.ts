/**
 * The edge's auth matrix, generated from its Hono router (`app.routes`, read in Node with the
 * Worker-only modules stubbed), asked of the real Worker in workerd: every route × {no key, wrong
 * key, right key}. Chat routes are public (a key is neither needed nor checked: the same answer
 * whatever is sent), health and metrics answer 200 to all, admin routes answer 401 without a key,
 * 403 with a wrong one and do their work with the admin key. A route added without a decision
 * here, or an admin route that stops checking, fails. (The region's matrix: auth-matrix.test.ts.)
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';
import { setupOrFail } from './helpers/setup-or-fail.ts';

// Only the route table is read in Node: the bundled models, the WASM runtime and the .sql imports are Worker-only.
vi.mock('../edge/src/domain/bundled-domain.ts', () => ({ bundledDomain: { name: 'stub', displayName: 'stub', models: {} } }));
vi.mock('../edge/src/runtime/ort-workerd.ts', () => ({}));
vi.mock('../edge/src/cache/migrations.ts', () => ({ MIGRATIONS: [] }));

/** public: no key needed, any ignored; health: 200 to everyone; admin: the edge's ADMIN_KEY only. */
type Access = 'public' | 'health' | 'admin';

const POLICY: Record<string, Access> = {
  'GET /': 'public', // the plain chat page
  'POST /v1/chat': 'public', // the widget's and apps' chat (limited per client, not keyed)
  'POST /v1/chat/completions': 'public', // the same pipeline in OpenAI's shape
  'POST /v1/classify': 'public',
  'GET /v1/models': 'public',
  'GET /v1/models/:id{.+}': 'public',
  'GET /v1/sessions/:sessionId/turns': 'public', // the session id is the client's own secret
  'POST /v1/sessions/:sessionId/turns': 'public', // turns the widget answered on the device
  'GET /healthz': 'health',
  'GET /metrics': 'health',
  'DELETE /v1/cache': 'admin',
  'DELETE /v1/cache/entries/:id': 'admin',
};

/** Bodies a route does its work with (others get `{}`), so a public route's "same answer" is a 2xx. */
const BODIES: Record<string, unknown> = {
  'POST /v1/chat': { message: 'what is your return policy?', sessionId: 'matrix' },
  'POST /v1/chat/completions': { model: 'switchyard', messages: [{ role: 'user', content: 'what is your return policy?' }] },
  'POST /v1/classify': { texts: ['hello there'] },
  'POST /v1/sessions/:sessionId/turns': { message: 'hello', answer: 'Hi! How can I help?', intent: 'greeting_chitchat', path: 'template' },
};

const KEYS = { none: undefined, wrong: 'sy_not_the_admin_key_000000', right: 'dev-admin-key' } as const;

let stack: EdgeStack;
let client = 0;

setupOrFail(async () => {
  stack = await startEdgeStack('sy-edge-auth-', 23000);
}, 240_000);
afterAll(async () => {
  await stack?.close();
});

/** The Worker's module, by a path tsc does not follow (the edge is type-checked with its own Workers types: tsc -p edge). */
const EDGE_APP = '../edge/src/app.ts';

async function routes(): Promise<string[]> {
  const { app } = (await import(/* @vite-ignore */ EDGE_APP)) as { app: { routes: { method: string; path: string }[] } };
  return [...new Set(app.routes.filter((r) => r.method !== 'ALL').map((r) => `${r.method} ${r.path}`))];
}

const concrete = (pattern: string) => pattern.replace(/:([a-zA-Z]+)(\{[^}]*\})?/g, (_, name) => `x-${name}`);

async function call(route: string, key?: string): Promise<number> {
  const [method, pattern] = route.split(' ');
  const res = await fetch(stack.edge.url + concrete(pattern), {
    method,
    // Each call its own client, so the per-client limits count none twice.
    headers: { 'content-type': 'application/json', accept: 'application/json', 'cf-connecting-ip': `192.0.2.${(++client % 250) + 1}`, ...(key ? { authorization: `Bearer ${key}` } : {}) },
    ...(method === 'GET' || method === 'DELETE' ? {} : { body: JSON.stringify(BODIES[route] ?? {}) }),
  });
  await res.body?.cancel();
  return res.status;
}

describe('edge auth matrix from the router', () => {
  it('has an access decision for every route', async () => {
    expect((await routes()).sort()).toEqual(Object.keys(POLICY).sort());
  });

  it('answers every route × {no key, wrong key, right key} as its class says', async () => {
    const wrong: string[] = [];
    for (const route of await routes()) {
      const got = { none: await call(route, KEYS.none), wrong: await call(route, KEYS.wrong), right: await call(route, KEYS.right) };
      const seen = `${route}: ${JSON.stringify(got)}`;
      const access = POLICY[route];
      if (access === 'admin' && (got.none !== 401 || got.wrong !== 403 || got.right === 401 || got.right === 403 || got.right >= 500)) wrong.push(seen);
      if (access === 'health' && (got.none !== 200 || got.wrong !== 200 || got.right !== 200)) wrong.push(seen);
      if (access === 'public' && (got.none !== got.wrong || got.none !== got.right || got.none === 401 || got.none === 403 || got.none >= 500)) wrong.push(seen);
      if (access === 'public' && BODIES[route] !== undefined && (got.none < 200 || got.none > 299)) wrong.push(`${seen} (its body should be answered)`);
    }
    expect(wrong).toEqual([]);
  });
});
