/**
 * The OpenAI SDK in a real browser against the edge: openai 6 bundled for the browser (esbuild),
 * run in Chromium on a store page of another origin, so every call is preceded by a real CORS
 * preflight naming the SDK's headers (authorization, openai-organization, openai-project,
 * x-stainless-*). An allowed origin gets its answers, streamed or not; an origin outside
 * ALLOWED_ORIGINS is refused by the browser itself.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.ts';
import { startEdgeStack, type EdgeStack } from './helpers/edge-stack.ts';

let stack: EdgeStack;
let browser: Browser;
let shop: Server;
let other: Server;

/** A page server: an empty page and the SDK bundle (`globalThis.OpenAI`). */
async function pageServer(sdk: string): Promise<Server> {
  const server = createServer((req, res) => {
    if (req.url === '/openai.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(sdk);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>shop</title><script src="/openai.js"></script>');
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return server;
}
const originOf = (s: Server) => `http://127.0.0.1:${(s.address() as AddressInfo).port}`;

beforeAll(async () => {
  const bundle = await esbuild.build({
    stdin: { contents: "import OpenAI from 'openai'; globalThis.OpenAI = OpenAI;", resolveDir: process.cwd() },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  });
  const sdk = bundle.outputFiles[0].text;
  [shop, other] = await Promise.all([pageServer(sdk), pageServer(sdk)]);
  stack = await startEdgeStack('sy-oai-cors-', 24000, { ALLOWED_ORIGINS: originOf(shop) });
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await stack?.close();
  for (const s of [shop, other]) s?.close();
});

interface BrowserRun {
  ok: boolean;
  error?: string;
  model?: string;
  text?: string;
  streamed?: string;
  listed?: string[];
  /** Names of the headers the SDK set on its first call (lower case). */
  sent: string[];
}

/** The SDK's calls from a page of `origin`: a completion, a streamed one and models.list. */
async function runInBrowser(origin: string): Promise<BrowserRun> {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    return await page.evaluate(async (edge) => {
      const sent: string[] = [];
      const OpenAI = (globalThis as any).OpenAI;
      const client = new OpenAI({
        baseURL: `${edge}/v1`,
        apiKey: 'sk-browser-key',
        organization: 'org-shop',
        project: 'proj-shop',
        dangerouslyAllowBrowser: true,
        maxRetries: 0,
        fetch: (url: string, init: RequestInit) => {
          if (!sent.length) new Headers(init.headers).forEach((_, k) => sent.push(k));
          return fetch(url, init);
        },
      });
      try {
        const c = await client.chat.completions.create({ model: 'switchyard', messages: [{ role: 'user', content: 'what is your return policy?' }] });
        let streamed = '';
        const stream = await client.chat.completions.create({ model: 'switchyard', stream: true, messages: [{ role: 'user', content: 'hello!' }] });
        for await (const ch of stream) streamed += ch.choices[0]?.delta?.content ?? '';
        const listed: string[] = [];
        for await (const m of client.models.list()) listed.push(m.id);
        return { ok: true, model: c.model, text: c.choices[0].message.content, streamed, listed, sent };
      } catch (e) {
        return { ok: false, error: String((e as Error).message ?? e), sent };
      }
    }, stack.edge.url);
  } finally {
    await page.close();
  }
}

describe('the OpenAI SDK in a browser, through a CORS preflight', () => {
  it('passes the preflight from an allowed origin with every header the SDK sends', async () => {
    const r = await runInBrowser(originOf(shop));
    // The SDK's own headers, which a browser must preflight (none of them is CORS-safelisted).
    expect(r.sent).toEqual(expect.arrayContaining(['authorization', 'openai-organization', 'openai-project', 'x-stainless-lang', 'x-stainless-os', 'x-stainless-retry-count']));
    expect(r.error).toBeUndefined();
    expect(r.ok).toBe(true);
    expect(r.model).toBe('switchyard/template');
    expect(r.text).toMatch(/30 days/);
    expect(r.streamed!.length).toBeGreaterThan(0);
    expect(r.listed).toContain('switchyard');
  });

  it('answers the preflight with those headers allowed, and the browser refuses another origin', async () => {
    const pre = await fetch(`${stack.edge.url}/v1/chat/completions`, {
      method: 'OPTIONS',
      headers: { origin: originOf(shop), 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,openai-project,x-stainless-timeout,x-stainless-helper-method' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(originOf(shop));
    const allowed = pre.headers.get('access-control-allow-headers')!.split(',');
    expect(allowed).toEqual(expect.arrayContaining(['authorization', 'content-type', 'openai-project', 'x-stainless-timeout', 'x-stainless-helper-method']));
    const refused = await runInBrowser(originOf(other));
    expect(refused.ok).toBe(false);
    expect(refused.error).toMatch(/connection error/i);
  });
});
