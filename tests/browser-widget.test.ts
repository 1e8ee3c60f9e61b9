/**
 * The `<switchyard-chat>` widget in real Chromium (Debian's, driven by playwright-core), on the
 * demo store page, in front of the real edge (workerd) and the real regional service. The
 * region's LLM is an OpenAI-compatible server mocked with msw at its HTTP boundary, streaming
 * its answer in paced chunks as a real one does.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { chromium, type Browser, type BrowserContext, type Page, type Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildWidget, DIST } from '../scripts/build-widget.ts';
import { startWidgetServer, type WidgetServer } from '../browser/server.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.ts';
import classifierManifest from '../models/default/store-intent/manifest.json';

const CHROMIUM = CHROMIUM_PATH;
const BASE_ARGS = CHROMIUM_ARGS;
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const enc = new TextEncoder();
let llmCalls = 0;

/** The self-hosted LLM: chat-completions SSE, one chunk every 60 ms. */
const llm = setupServer(
  http.post('http://llm.test/v1/chat/completions', async ({ request }) => {
    llmCalls++;
    const body = (await request.json()) as { messages: { role: string; content: string }[] };
    const question = (body.messages.filter((m) => m.role === 'user').at(-1)?.content ?? '').split('</passages>').pop()!.toLowerCase();
    const place = /alaska|hawaii|canada|japan/.exec(question)?.[0];
    const parts = place
      ? ['Standard shipping ', `to ${place[0].toUpperCase()}${place.slice(1)} `, 'takes 5 to 10 ', 'business days.']
      : ['If you liked Berserk, ', 'try Vinland Saga: ', 'a hard-hitting ', 'Viking epic ', 'by Makoto Yukimura.'];
    const stream = new ReadableStream<Uint8Array>({
      async start(c) {
        for (const p of parts) {
          await sleep(60);
          c.enqueue(enc.encode(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: p }, finish_reason: null }] })}\n\n`));
        }
        c.enqueue(enc.encode(`data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 90, completion_tokens: 12 } })}\n\n`));
        c.enqueue(enc.encode('data: [DONE]\n\n'));
        c.close();
      },
    });
    return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
  }),
);

let dir: string;
let regional: RunningRegional;
let edge: EdgeProcess;
let widget: WidgetServer;
let wasm: Browser;
let gpu: Browser;
let wasmCtx: BrowserContext;
const requests: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-widget-'));
  llm.listen({ onUnhandledRequest: 'bypass' });
  const built = buildWidget({ quiet: true });
  regional = await startRegional(
    // Generous stage timeouts: on a busy 2-core machine a region timeout would change the route
    // (a fallback), and these tests are about the widget, not the region's latency.
    loadConfig({
      PORT: '0',
      DATABASE_URL: join(dir, 'regional.db'),
      LLM_BACKEND: 'openai',
      OPENAI_BASE_URL: 'http://llm.test',
      GUARDRAILS: 'off',
      CLASSIFY_TIMEOUT_MS: '3000',
      EMBED_TIMEOUT_MS: '3000',
      RETRIEVE_TIMEOUT_MS: '5000',
      RERANK_TIMEOUT_MS: '3000',
    }),
    () => {},
  );
  edge = await startEdgeProcess({
    port: 20000 + Math.floor(Math.random() * 2000),
    regionalUrl: regional.url,
    persistTo: join(dir, 'wrangler'),
    vars: { UPSTREAM_TIMEOUT_MS: '10000' },
    quiet: true,
  });
  await built;
  widget = await startWidgetServer({ port: 0, edgeUrl: edge.url });
  [wasm, gpu] = await Promise.all([
    chromium.launch({ executablePath: CHROMIUM, args: BASE_ARGS }),
    chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...WEBGPU_ARGS] }),
  ]);
  wasmCtx = await wasm.newContext();
  wasmCtx.on('request', (r: Request) => requests.push(r.url()));
}, 240_000);

afterAll(async () => {
  await Promise.all([wasm?.close(), gpu?.close()]);
  await widget?.close();
  await edge?.stop();
  await regional?.close();
  llm.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Shown {
  origin: string;
  text: string;
  meta: string;
  ms: number;
}

/** Opens the demo page and waits until the widget has loaded its models (or chosen the edge). */
async function openDemo(ctx: BrowserContext, query = 'open'): Promise<{ page: Page; diag: any }> {
  const page = await ctx.newPage();
  await page.goto(`${widget.url}/?${query}`);
  const diag = await page.evaluate(() => document.querySelector('switchyard-chat')!.whenReady());
  return { page, diag };
}

/** The last finished answer in the widget's log. */
async function lastAnswer(page: Page, count: number): Promise<Shown> {
  await page.waitForFunction((n) => document.querySelector('switchyard-chat')!.shadowRoot!.querySelectorAll('li.bot[data-ms]').length >= n, count);
  return page.evaluate(() => {
    const li = Array.from(document.querySelector('switchyard-chat')!.shadowRoot!.querySelectorAll<HTMLElement>('li.bot[data-ms]')).at(-1)!;
    return { origin: li.dataset.origin!, text: li.querySelector('.bubble')!.textContent!, meta: li.querySelector('.meta')!.textContent!, ms: Number(li.dataset.ms) };
  });
}

const asked = new WeakMap<Page, number>();
/** Types a question and presses Enter, as a visitor does; returns the answer shown. */
async function ask(page: Page, question: string): Promise<Shown> {
  const n = (asked.get(page) ?? 0) + 1;
  asked.set(page, n);
  const input = page.locator('switchyard-chat input');
  await input.fill(question);
  await input.press('Enter');
  return lastAnswer(page, n);
}

/** Reloads the page and waits for the widget; the conversation (localStorage) is kept. */
async function reloadPage(page: Page): Promise<void> {
  await page.reload();
  await page.evaluate(() => document.querySelector('switchyard-chat')!.whenReady());
  asked.set(page, 0);
}

/** Forgets the conversation, as after its idle time, and reloads: a new sessionId. */
async function newConversation(page: Page): Promise<void> {
  await page.evaluate(() => localStorage.removeItem('switchyard-conversation'));
  await reloadPage(page);
}

/** Chat requests to the edge (the widget's reports of turns it answered itself are not answers). */
const edgeRequests = (since: number) => requests.slice(since).filter((u) => u.startsWith(edge.url) && !u.includes('/v1/sessions/'));

describe('<switchyard-chat> in Chromium', () => {
  it('WebGPU (SwiftShader, forced with backend="webgpu"): reports backend webgpu and answers a template on the device, with no request to the edge', async () => {
    const ctx = await gpu.newContext();
    const seen: string[] = [];
    ctx.on('request', (r: Request) => seen.push(r.url()));
    const { page, diag } = await openDemo(ctx, 'open&debug&backend=webgpu');
    expect(diag).toMatchObject({ status: 'ready', backend: 'webgpu', models: { classifier: 'switchyard-store-intent@1.1.0' } });
    const a = await ask(page, 'what is your return policy?');
    expect(a.origin).toBe('device');
    expect(a.text).toMatch(/30 days/);
    expect(a.meta).toMatch(/^On device · \d+ ms$/);
    await expect.poll(() => page.locator('switchyard-chat .debug dd[data-key="backend"]').textContent()).toBe('webgpu');
    const asyncify = createHash('sha256').update(readFileSync('node_modules/onnxruntime-web/dist/ort-wasm-simd-threaded.asyncify.wasm')).digest('hex');
    expect(seen.some((u) => u.endsWith(`/widget/files/${asyncify}.wasm`))).toBe(true);
    expect(seen.filter((u) => u.startsWith(edge.url) && !u.includes('/v1/sessions/'))).toEqual([]);
    await ctx.close();
  });

  it('WASM: reports backend wasm, is keyboard-operable, answers on the device, and reads its files from Cache Storage next time', async () => {
    const since = requests.length;
    const { page, diag } = await openDemo(wasmCtx, '');
    expect(diag).toMatchObject({ status: 'ready', backend: 'wasm', threads: 1 });
    expect(diag.transfer.networkBytes).toBeGreaterThan(5_000_000);
    // Closed by default: the launcher is a button that opens the panel and focuses the input.
    const launcher = page.locator('switchyard-chat .launcher');
    await expect.poll(() => launcher.getAttribute('aria-expanded')).toBe('false');
    expect(await page.locator('switchyard-chat .debug').isHidden()).toBe(true);
    await launcher.focus();
    await page.keyboard.press('Enter');
    await expect.poll(() => page.evaluate(() => document.querySelector('switchyard-chat')!.shadowRoot!.activeElement?.id)).toBe('input');
    expect(await launcher.getAttribute('aria-expanded')).toBe('true');
    expect(await page.locator('switchyard-chat ol.log').getAttribute('role')).toBe('log');
    expect(await page.locator('switchyard-chat ol.log').getAttribute('aria-live')).toBe('polite');
    const a = await ask(page, 'hello!');
    expect(a.origin).toBe('device');
    expect(a.text).toMatch(/Kitsune Books assistant/);
    await page.keyboard.press('Escape');
    await expect.poll(() => page.evaluate(() => document.querySelector('switchyard-chat')!.shadowRoot!.activeElement?.className)).toBe('launcher');
    expect(edgeRequests(since)).toEqual([]);
    // The page's own CSS (uppercase Comic Sans buttons) does not reach inside the shadow root.
    expect(await page.locator('switchyard-chat form button').evaluate((b) => getComputedStyle(b).textTransform)).toBe('none');

    const again = await openDemo(wasmCtx, 'open');
    expect(again.diag.transfer).toMatchObject({ networkBytes: 0, networkFiles: 0 });
    expect(again.diag.transfer.cacheBytes).toBeGreaterThan(5_000_000);
    expect((await ask(again.page, 'what are your support hours?')).origin).toBe('device');
    expect(edgeRequests(since)).toEqual([]);
    await Promise.all([page.close(), again.page.close()]);
  });

  it('a device slower than the inference budget sends everything to the edge', async () => {
    const since = requests.length;
    const { page, diag } = await openDemo(wasmCtx, 'open&budget-ms=0.001&locale=ja&theme=dark');
    expect(diag).toMatchObject({ status: 'edge-only', code: 'SLOW_DEVICE' });
    // locale and theme attributes: the widget's own text in Japanese, dark colours.
    expect(await page.locator('switchyard-chat input').getAttribute('placeholder')).toMatch(/マンガ/);
    expect(await page.locator('switchyard-chat .panel').evaluate((p) => getComputedStyle(p).backgroundColor)).toBe('rgb(28, 25, 23)');
    const a = await ask(page, 'what is your return policy?');
    expect(a.origin).toBe('edge');
    expect(a.text).toMatch(/30 days/);
    expect(edgeRequests(since)).toEqual([`${edge.url}/v1/chat`]);
    await page.close();
  });

  it('streams an LLM answer from the edge as it arrives, and remembers cacheable answers on the device (not Alaska for Hawaii)', async () => {
    const { page } = await openDemo(wasmCtx, 'open');
    expect((await ask(page, 'what is your return policy?')).origin).toBe('device');
    // Sample the answer's length on every animation frame while it streams.
    await page.evaluate(() => {
      const w = window as unknown as { lengths: number[]; stop: boolean };
      w.lengths = [];
      w.stop = false;
      const tick = () => {
        const bots = document.querySelector('switchyard-chat')!.shadowRoot!.querySelectorAll('li.bot');
        w.lengths.push(bots.length >= 3 ? bots[2].querySelector('.bubble')!.textContent!.length : 0);
        if (!w.stop) requestAnimationFrame(tick);
      };
      requestAnimationFrame(tick);
    });
    const since = requests.length;
    const llmBefore = llmCalls;
    const rec = await ask(page, 'can you recommend a dark fantasy manga like berserk?');
    const lengths = await page.evaluate(() => {
      const w = window as unknown as { lengths: number[]; stop: boolean };
      w.stop = true;
      return w.lengths;
    });
    expect(rec.origin).toBe('assistant');
    expect(rec.text).toBe('If you liked Berserk, try Vinland Saga: a hard-hitting Viking epic by Makoto Yukimura.');
    expect(rec.meta).toMatch(/^Assistant · /);
    expect(llmCalls).toBe(llmBefore + 1);
    expect(edgeRequests(since)).toEqual([`${edge.url}/v1/chat`]);
    const growing = [...new Set(lengths.filter((n) => n > 0))];
    expect(growing.length).toBeGreaterThanOrEqual(2); // partial text on one frame, more on a later one
    expect(Math.max(...growing)).toBe(rec.text.length);

    // A cacheable question: the edge answers it once, the device remembers it in IndexedDB.
    const first = await ask(page, 'how much does shipping to alaska cost?');
    expect(first.origin).toBe('assistant');
    const beforeRepeat = requests.length;
    const repeat = await ask(page, 'How much does shipping to Alaska cost');
    expect(repeat.origin).toBe('device-cache');
    expect(repeat.text).toBe(first.text);
    expect(edgeRequests(beforeRepeat)).toEqual([]);
    // The debug panel says why: the confidence against the routing threshold, the similarity
    // against the intent's hit threshold, and the key frame both questions share.
    await page.evaluate(() => document.querySelector('switchyard-chat')!.setAttribute('debug', ''));
    const row = (k: string) => page.locator(`switchyard-chat .debug dd[data-key="${k}"]`).textContent();
    await expect.poll(() => row('confidence')).toMatch(/^[01]\.\d\d ≥ route 0\.\d\d · oos /);
    expect(await row('cache')).toMatch(/^hit · \d\.\d\d ≥ hit 0\.\d\d$/);
    expect(await row('key frame')).toBe('cost · place:alaska');
    await page.evaluate(() => document.querySelector('switchyard-chat')!.removeAttribute('debug'));
    const hawaii = await ask(page, 'how much does shipping to hawaii cost?');
    expect(hawaii.origin).toBe('assistant');
    expect(hawaii.text).toMatch(/Hawaii/);
    expect(edgeRequests(beforeRepeat)).toEqual([`${edge.url}/v1/chat`]);

    mkdirSync('reports', { recursive: true });
    await page.setViewportSize({ width: 1280, height: 760 });
    await page.screenshot({ path: 'reports/browser-widget-demo.png' });
    expect(statSync('reports/browser-widget-demo.png').size).toBeGreaterThan(20_000);
    await page.close();
  });

  it('shows the handoff message when the edge is down, and keeps answering templates and remembered answers offline', async () => {
    const dead = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as { port: number }).port;
        s.close(() => resolve(port));
      });
    });
    const down = await openDemo(wasmCtx, `open&edge-url=${encodeURIComponent(`http://127.0.0.1:${dead}`)}`);
    const handoff = await ask(down.page, 'what should I read after frieren?');
    expect(handoff.origin).toBe('handoff');
    expect(handoff.text).toMatch(/support@kitsunebooks\.example/);
    expect((await ask(down.page, 'can I return an opened box set?')).origin).toBe('device');
    await down.page.close();

    const { page } = await openDemo(wasmCtx, 'open');
    const online = await ask(page, 'what does shipping to alaska cost?');
    expect(['assistant', 'edge-cache', 'device-cache']).toContain(online.origin);
    await wasmCtx.setOffline(true);
    try {
      await expect.poll(() => page.locator('switchyard-chat .banner').textContent()).toMatch(/offline/i);
      const since = requests.length;
      expect((await ask(page, 'what is your return policy?')).origin).toBe('device');
      const remembered = await ask(page, 'how much does shipping to alaska cost?');
      expect(remembered.origin).toBe('device-cache');
      expect(remembered.text).toMatch(/Alaska/);
      const offline = await ask(page, 'which isekai light novels do you recommend?');
      expect(offline.origin).toBe('offline');
      expect(offline.text).toMatch(/offline/i);
      expect(edgeRequests(since)).toEqual([]);
    } finally {
      await wasmCtx.setOffline(false);
    }
    await expect.poll(() => page.locator('switchyard-chat .banner').isHidden()).toBe(true);
    await page.close();
  });

  it('keeps the conversation across a page reload, and tells the edge what the device answered', async () => {
    const ctx = await wasm.newContext();
    const seen: string[] = [];
    ctx.on('request', (r: Request) => seen.push(r.url()));
    const { page } = await openDemo(ctx, 'open');
    const sessionOf = () => page.evaluate(() => JSON.parse(localStorage.getItem('switchyard-conversation')!).sessionId as string);
    const sessionId = await sessionOf();
    const edgeTurns = async () => (await (await fetch(`${edge.url}/v1/sessions/${sessionId}/turns`)).json()).turns as { text: string; path: string; origin?: string }[];

    expect((await ask(page, 'what is your return policy?')).origin).toBe('device');
    await expect.poll(async () => (await edgeTurns()).map((t) => [t.text, t.origin])).toEqual([['what is your return policy?', 'device']]);
    expect(seen.some((u) => u === `${edge.url}/v1/sessions/${sessionId}/turns`)).toBe(true);
    const ship = await ask(page, 'Do you ship to Canada?');
    expect(['assistant', 'edge-cache']).toContain(ship.origin);

    await reloadPage(page);
    expect(await sessionOf()).toBe(sessionId);
    await ask(page, 'what about the UK?');
    const last = await page.evaluate(() => document.querySelector('switchyard-chat')!.diagnostics.last!);
    expect(last.resolved?.text).toMatch(/ship to united kingdom/);
    expect(last.resolved?.carried).toContain('frame');
    expect(last.intent).toBe('shipping_info');
    await expect.poll(async () => (await edgeTurns()).length).toBe(3);
    await ctx.close();
  });

  it('answers a follow-up on the device in its conversation, across a reload, as the edge would (intent in context)', async () => {
    const ctx = await wasm.newContext();
    const seen: string[] = [];
    ctx.on('request', (r: Request) => seen.push(r.url()));
    const { page } = await openDemo(ctx, 'open');
    const last = () => page.evaluate(() => document.querySelector('switchyard-chat')!.diagnostics.last!);
    // "and to Japan?" resolves to "what does shipping to japan cost?", which the classifier alone
    // is unsure of (so the edge would be asked); the turn it leans on settles it as shipping_info,
    // a cacheable intent, on the device as at the edge. First the edge answers both, and the
    // device remembers both answers under their resolved keys.
    expect((await ask(page, 'What does shipping to Canada cost?')).origin).toBe('assistant');
    const japan = await ask(page, 'and to Japan?');
    expect(japan.origin).toBe('assistant');
    expect(japan.text).toMatch(/Japan/);
    expect(await last()).toMatchObject({ intent: 'shipping_info', remembered: true, resolved: { text: 'what does shipping to japan cost?' } });

    // Another conversation: both turns answered on the device, with a page reload between them.
    await newConversation(page);
    const sessionOf = () => page.evaluate(() => JSON.parse(localStorage.getItem('switchyard-conversation')!).sessionId as string);
    const sessionId = await sessionOf();
    const since = seen.length;
    const canada = await ask(page, 'What does shipping to Canada cost?');
    expect(canada.origin).toBe('device-cache');
    expect(canada.text).toMatch(/Canada/);
    await reloadPage(page);
    expect(await sessionOf()).toBe(sessionId);
    const followUp = await ask(page, 'and to Japan?');
    expect(followUp.origin).toBe('device-cache');
    expect(followUp.text).toMatch(/Japan/);
    const rec = await last();
    expect(rec.resolved?.text).toBe('what does shipping to japan cost?');
    expect(rec.resolved?.carried).toEqual(['frame', 'intent:shipping_info']);
    expect(rec.intent).toBe('shipping_info');
    expect(rec.confidence).toBeLessThan(rec.decision!.routeThreshold); // the classifier alone was unsure
    expect(seen.slice(since).filter((u) => u.startsWith(edge.url) && !u.includes('/v1/sessions/'))).toEqual([]);
    // The edge was told both turns, and resolved the follow-up against the first as the device did.
    const edgeTurns = async () => (await (await fetch(`${edge.url}/v1/sessions/${sessionId}/turns`)).json()).turns as { text: string; resolved: string; intent: string; path: string; origin?: string }[];
    await expect
      .poll(async () => (await edgeTurns()).map((t) => [t.text, t.resolved, t.intent, t.path, t.origin]))
      .toEqual([
        ['What does shipping to Canada cost?', 'What does shipping to Canada cost?', 'shipping_info', 'cache', 'device'],
        ['and to Japan?', 'what does shipping to japan cost?', 'shipping_info', 'cache', 'device'],
      ]);
    await ctx.close();
  });

  it("keys the device's cache by the resolved follow-up: another conversation's context never gets it", async () => {
    const ctx = await wasm.newContext();
    const { page } = await openDemo(ctx, 'open');
    await ask(page, 'Do you ship to Canada?');
    const first = await ask(page, 'how long does it take?');
    expect(['assistant', 'edge-cache']).toContain(first.origin);
    const rec = await page.evaluate(() => document.querySelector('switchyard-chat')!.diagnostics.last!);
    expect(rec.remembered).toBe(true);
    expect((await ask(page, 'how long does it take?')).origin).toBe('device-cache');

    // A new conversation on the same device: Japan, then the same words.
    await newConversation(page);
    await ask(page, 'Do you ship to Japan?');
    const japan = await ask(page, 'how long does it take?');
    expect(japan.origin).not.toBe('device-cache');
    const last = await page.evaluate(() => document.querySelector('switchyard-chat')!.diagnostics.last!);
    expect(last.resolved?.text).toMatch(/japan/i);
    // With nothing to lean on, the same words neither hit nor fill the device's cache.
    await newConversation(page);
    expect((await ask(page, 'how long does it take?')).origin).not.toBe('device-cache');
    expect((await page.evaluate(() => document.querySelector('switchyard-chat')!.diagnostics.last!)).remembered).not.toBe(true);
    await ctx.close();
  });

  it('refuses a tampered model file and quietly uses the edge', async () => {
    const ctx = await wasm.newContext();
    const seen: string[] = [];
    ctx.on('request', (r: Request) => seen.push(r.url()));
    // The server's copy with one byte flipped near the end (inside the weights).
    const sha = classifierManifest.files['onnx/model_quantized.onnx'];
    const body = readFileSync(join(DIST, `files/${sha}.onnx`));
    body[body.length - 100] ^= 0xff;
    await ctx.route(`**/widget/files/${sha}.onnx`, (route) => route.fulfill({ status: 200, contentType: 'application/octet-stream', body }));
    const { page, diag } = await openDemo(ctx, 'open&debug');
    expect(diag).toMatchObject({ status: 'edge-only', code: 'MODEL_INTEGRITY' });
    expect(diag.reason).toMatch(/sha256 mismatch/);
    await expect.poll(() => page.locator('switchyard-chat .debug dd[data-key="state"]').textContent()).toBe('edge-only (MODEL_INTEGRITY)');
    const a = await ask(page, 'what is your return policy?');
    expect(a.origin).toBe('edge');
    expect(a.text).toMatch(/30 days/);
    expect(seen.filter((u) => u.startsWith(edge.url))).toEqual([`${edge.url}/v1/chat`]);
    // The refused file was not kept: its digest has no entry in the widget's Cache Storage.
    const cached = await page.evaluate(async (digest) => (await caches.open('switchyard-files-v1')).keys().then((ks) => ks.some((k) => k.url.endsWith(digest))), sha);
    expect(cached).toBe(false);
    await ctx.close();
  });
});
