/**
 * The region's ops dashboard in real Chromium (Debian's, driven by playwright-core) in front of
 * the real regional service after real traffic: the page asks for an admin key (a wrong or
 * non-admin key is refused with the region's message), keeps it in sessionStorage, and draws its
 * uPlot charts with data points. A screenshot goes to reports/dashboard.png.
 */
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../regional/src/config.ts';
import { dashboardSampler } from '../regional/src/ops/dashboard-routes.ts';
import { driftMonitor, observePrediction } from '../regional/src/ops/drift-monitor.ts';
import { startRegional, type RunningRegional } from '../regional/src/server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.ts';

const CHARTS = ['traffic', 'latency', 'saturation', 'model-errors', 'paths', 'edge-paths', 'cost', 'drift'];

let dir: string;
let r: RunningRegional;
let browser: Browser;
let page: Page;
const pageErrors: string[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'sy-dash-browser-'));
  r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'r.db'), DASHBOARD_SAMPLE_MS: '300' }), () => {});
  const { sampler, started } = dashboardSampler(r.services);
  await started;
  const headers = { authorization: 'Bearer dev-edge-key', 'content-type': 'application/json', accept: 'application/json' };
  for (const [i, message] of ['how much is shipping to alaska?', 'recommend a dark fantasy manga', 'what are your support hours?', 'is berserk deluxe in stock?'].entries()) {
    await sampler.sample();
    expect((await fetch(`${r.url}/v1/generate`, { method: 'POST', headers, body: JSON.stringify({ message, sessionId: `b${i % 2}` }) })).status).toBe(200);
  }
  // Enough served predictions for the drift window to have a PSI (the monitor's minimum is 200).
  for (let i = 0; i < 250; i++) observePrediction(i % 2 ? 'order_status' : 'shipping_info', 0.9);
  await sampler.sample();
  await sampler.sample();
  browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  page = await (await browser.newContext({ viewport: { width: 1400, height: 1800 } })).newPage();
  page.on('pageerror', (e) => pageErrors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && !/401|403/.test(m.text()) && pageErrors.push(m.text()));
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await r?.close();
  driftMonitor.setBaseline(null);
  rmSync(dir, { recursive: true, force: true });
});

async function enterKey(key: string): Promise<void> {
  await page.locator('#key').fill(key);
  await page.locator('#login button[type=submit]').click();
}

describe('ops dashboard in Chromium', () => {
  it('asks for an admin key and refuses others with the reason', async () => {
    await page.goto(`${r.url}/dashboard`);
    await expect.poll(() => page.locator('#login').isVisible()).toBe(true);
    expect(await page.locator('#board').isVisible()).toBe(false);
    await enterKey('not-a-key-at-all');
    await expect.poll(() => page.locator('#login-error').textContent()).toMatch(/^401: unknown API key/);
    await enterKey('dev-edge-key');
    await expect.poll(() => page.locator('#login-error').textContent()).toMatch(/^403: .*edge key may not/);
    expect(await page.evaluate(() => sessionStorage.getItem('switchyard-admin-key'))).toBeNull();
  });

  it('draws every chart with data points once the admin key is given, and keeps the key in this tab', async () => {
    await enterKey('dev-admin-key');
    await expect.poll(() => page.locator('#board').isVisible()).toBe(true);
    await page.waitForFunction(() => Number(document.querySelector('#chart-traffic')?.getAttribute('data-values') ?? 0) > 0);
    for (const name of CHARTS) {
      const section = page.locator(`#chart-${name}`);
      expect(await section.locator('.plot canvas').count(), name).toBeGreaterThan(0);
      expect(Number(await section.getAttribute('data-points')), name).toBeGreaterThan(3);
    }
    const values = async (name: string) => Number(await page.locator(`#chart-${name}`).getAttribute('data-values'));
    expect(await values('traffic')).toBeGreaterThan(3);
    expect(await values('latency')).toBeGreaterThan(0);
    expect(await values('saturation')).toBeGreaterThan(3);
    expect(await values('cost')).toBeGreaterThan(3);
    expect(await values('drift')).toBeGreaterThan(0);
    // No edge metrics configured: its chart says so instead of drawing an empty series as data.
    expect(await values('edge-paths')).toBe(0);
    expect(await page.locator('#chart-edge-paths .note').textContent()).toMatch(/EDGE_METRICS_URL/);
    expect(await page.locator('#chart-drift .u-legend').textContent()).toMatch(/intent PSI.*warn 0\.1.*alert 0\.2/s);
    expect(await page.locator('.tile').count()).toBe(8);
    expect(await page.locator('#status').textContent()).toMatch(/samples every 0\.3 s/);
    expect(await page.evaluate(() => sessionStorage.getItem('switchyard-admin-key'))).toBe('dev-admin-key');

    mkdirSync('reports', { recursive: true });
    await page.screenshot({ path: 'reports/dashboard.png', fullPage: true });
    expect(statSync('reports/dashboard.png').size).toBeGreaterThan(30_000);

    // A reload of the tab keeps the key; forgetting it asks again.
    await page.reload();
    await expect.poll(() => page.locator('#board').isVisible()).toBe(true);
    await page.locator('#signout').click();
    await expect.poll(() => page.locator('#login').isVisible()).toBe(true);
    expect(await page.evaluate(() => sessionStorage.getItem('switchyard-admin-key'))).toBeNull();
    expect(pageErrors).toEqual([]);
  });
});
