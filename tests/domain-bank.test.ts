/**
 * The second domain pack (domains/bank-support) end to end through the real tiers: the regional
 * service started with SWITCHYARD_DOMAIN (its knowledge base, its classifier) and the edge Worker
 * in workerd bundling the same pack (scripts/edge-process.ts `domain`). A template at the edge, a
 * cache hit, and an LLM-path answer (the offline extractive generator) from the bank's own KB;
 * then the widget built with the same pack, in Chromium, answering on the device.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.ts';
import { buildWidget } from '../scripts/build-widget.ts';
import { startWidgetServer, type WidgetServer } from '../browser/server.ts';
import { SseParser, type RouteEvent } from '../shared/api/chat.ts';
import { loadConfig } from '../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../scripts/edge-process.ts';

const BANK = 'domains/bank-support';
let dir: string;
let regional: RunningRegional;
let edge: EdgeProcess;
let widget: WidgetServer | undefined;
let browser: Browser | undefined;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-bank-'));
  regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'regional.db'), SWITCHYARD_DOMAIN: BANK, LLM_BACKEND: 'extractive' }), () => {});
  edge = await startEdgeProcess({
    port: 20000 + Math.floor(Math.random() * 2000),
    regionalUrl: regional.url,
    persistTo: join(dir, 'wrangler'),
    vars: { MODEL_REFRESH_INTERVAL_MS: '0' },
    quiet: true,
    domain: BANK,
  });
}, 240_000);

afterAll(async () => {
  await browser?.close();
  await widget?.close();
  await edge?.stop();
  await regional?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function chat(message: string, sessionId?: string) {
  const res = await fetch(`${edge.url}/v1/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message, sessionId: sessionId ?? crypto.randomUUID() }) });
  expect(res.status).toBe(200);
  const events = new SseParser().push(await res.text());
  const route = events.find((e) => e.event === 'route')?.data as RouteEvent;
  const text = events.filter((e) => e.event === 'delta').map((e) => (e.data as { text: string }).text).join('');
  return { route, text, events };
}

describe('bank-support domain on every tier', () => {
  it('the edge bundles the bank classifier and the region serves it', async () => {
    const manifest = JSON.parse(readFileSync(join(BANK, 'models/intent/manifest.json'), 'utf8'));
    const { models } = await (await fetch(`${edge.url}/v1/models`)).json();
    expect(models.find((m: { role: string }) => m.role === 'intent-classifier').sha256).toBe(manifest.files['onnx/model_quantized.onnx']);
    const res = await fetch(`${edge.url}/v1/classify`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ texts: ['my card was stolen', 'which currencies do you support'] }) });
    expect((await res.json()).results.map((r: { intent: string }) => r.intent)).toEqual(['lost_or_stolen_card', 'currencies_and_countries']);
    expect(await (await fetch(`${edge.url}/`)).text()).toContain('<h1>Lark Bank assistant</h1>');
    const ready = await (await fetch(`${regional.url}/readyz`)).json();
    expect(JSON.stringify(ready)).toContain('bank-support-intent');
  });

  it('answers a lost card from its template at the edge, and greets as the bank', async () => {
    const lost = await chat('my card was stolen');
    expect(lost.route).toMatchObject({ path: 'template', intent: 'lost_or_stolen_card' });
    expect(lost.text).toMatch(/Freeze/);
    const hi = await chat('hello');
    expect(hi.route.path).toBe('template');
    expect(hi.text).toMatch(/Lark Bank/);
    const oos = await chat('write me a poem about cats');
    expect(oos.route).toMatchObject({ path: 'template', intent: 'oos' });
    expect(oos.text).toMatch(/only help with your Lark Bank account/);
  });

  it('answers a cacheable question once from the region, then from the cache', async () => {
    const q = 'how do I top up with cash';
    const first = await chat(q, 'cache-1');
    expect(first.route).toMatchObject({ path: 'llm', intent: 'top_up_methods' });
    // From the bank's kb/top-up.md (the store knows no top-ups, pounds or Apple Pay top-ups).
    expect(first.text).toMatch(/top-up/i);
    expect(first.text).toMatch(/£/);
    let hit = first;
    for (let i = 0; i < 20 && hit.route.path !== 'cache'; i++) {
      await new Promise((r) => setTimeout(r, 250));
      hit = await chat(q, `cache-${i + 2}`);
    }
    expect(hit.route.path).toBe('cache');
    expect(hit.text).toBe(first.text);
  });

  it('answers an LLM-path question from the bank knowledge base', async () => {
    const r = await chat('my transfer hasn\'t arrived yet, it has been two days');
    expect(r.route).toMatchObject({ path: 'llm', intent: 'transfer_problem', generator: 'extractive' });
    // Words only the bank's kb/transfers.md has; nothing from the store's policies.
    expect(r.text).toMatch(/Faster Payments|SEPA|SWIFT|business day/);
    expect(r.text).not.toMatch(/Kitsune|manga/i);
  });

  it('the widget built with the pack answers a lost card on the device with the bank classifier', async () => {
    const outDir = join(dir, 'widget');
    await buildWidget({ outDir, quiet: true, domain: BANK, precompress: false });
    widget = await startWidgetServer({ port: 0, edgeUrl: edge.url, distDir: outDir });
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
    const page = await browser.newPage();
    await page.goto(`${widget.url}/?open`);
    const diag = await page.evaluate(() => (document.querySelector('switchyard-chat') as any).whenReady());
    expect(diag).toMatchObject({ status: 'ready', models: { classifier: 'bank-support-intent@1.0.0' } });
    const input = page.locator('switchyard-chat input');
    await input.fill('my card was stolen');
    await input.press('Enter');
    await page.waitForFunction(() => document.querySelector('switchyard-chat')!.shadowRoot!.querySelectorAll('li.bot[data-ms]').length >= 1);
    const shown = await page.evaluate(() => {
      const li = document.querySelector('switchyard-chat')!.shadowRoot!.querySelector<HTMLElement>('li.bot[data-ms]')!;
      return { origin: li.dataset.origin, text: li.querySelector('.bubble')!.textContent! };
    });
    expect(shown.origin).toBe('device');
    expect(shown.text).toMatch(/Freeze/);
  }, 120_000);
});
