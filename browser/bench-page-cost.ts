/**
 * What the widget costs the store page (the page-cost half of `browser/bench.ts`), in headless
 * Chromium with Lighthouse's mobile CPU slowdown (4×, CDP Emulation.setCPUThrottlingRate):
 *
 * - page load, runs interleaved in one browser, each in a fresh context: LCP (the
 *   largest-contentful-paint entry) and total blocking time (the sum over long tasks of their
 *   time past 50 ms, until 5 s after load) of the demo page without the widget, with it (nothing
 *   loads before interest), and with `preload="idle"` (the models load once the page is idle);
 * - bytes per path as the browser counts them (CDP encodedDataLength, transfer-meter.ts): before
 *   interest, the first open answering one template question on WASM (auto choice, no GPU), on
 *   WebGPU (forced, SwiftShader), with Save-Data, and the second visit.
 */
import { loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { WidgetServer } from './server.ts';
import { isDeviceFile, TransferMeter } from './transfer-meter.ts';

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.floor(s.length / 2)] * 10) / 10;
};

/** Observers registered before the page's first script runs. */
const OBSERVE = () => {
  const w = window as unknown as { __lcp: number; __tbt: number };
  w.__lcp = 0;
  w.__tbt = 0;
  new PerformanceObserver((l) => l.getEntries().forEach((e) => (w.__lcp = e.startTime))).observe({ type: 'largest-contentful-paint', buffered: true });
  new PerformanceObserver((l) => l.getEntries().forEach((e) => (w.__tbt += Math.max(0, e.duration - 50)))).observe({ type: 'longtask', buffered: true });
};

interface PageLoad {
  lcp: number;
  tbt: number;
}

async function pageLoad(browser: Browser, url: string): Promise<PageLoad> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  const cdp = await ctx.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
  await page.addInitScript(OBSERVE);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(5000);
  // LCP is final once the visitor interacts; a click outside the widget ends it without interest.
  const r = await page.evaluate(() => {
    const w = window as unknown as { __lcp: number; __tbt: number };
    return { lcp: w.__lcp, tbt: w.__tbt };
  });
  await ctx.close();
  return r;
}

/**
 * The variants run in rounds, each round in both orders in turn (ABC, CBA) so neither variant
 * always follows the other; besides each variant's medians, the median of the per-round
 * differences from the page without the widget (paired, so the machine's load in that round
 * cancels) and the load average before and after.
 */
export async function benchPageLoad(browser: Browser, server: WidgetServer, runs: number, edge: string) {
  const variants = { 'without the widget': '?no-widget', 'with the widget': '?', 'with the widget, preload="idle"': '?preload=idle' } as const;
  const names = Object.keys(variants) as (keyof typeof variants)[];
  const got = Object.fromEntries(names.map((n) => [n, [] as PageLoad[]])) as Record<keyof typeof variants, PageLoad[]>;
  const loadBefore = loadavg();
  for (let i = 0; i < runs; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      got[name].push(await pageLoad(browser, `${server.url}/${variants[name]}&edge-url=${encodeURIComponent(edge)}`));
    }
  }
  const base = got['without the widget'];
  const variantsOut = Object.fromEntries(
    names.map((name) => {
      const v = got[name];
      const diff = (k: 'lcp' | 'tbt') => median(v.map((r, i) => r[k] - base[i][k]));
      return [
        name,
        {
          lcpMs: median(v.map((r) => r.lcp)),
          tbtMs: median(v.map((r) => r.tbt)),
          ...(name === 'without the widget' ? {} : { pairedLcpDiffMs: diff('lcp'), pairedTbtDiffMs: diff('tbt') }),
          lcpRuns: v.map((r) => Math.round(r.lcp)),
          tbtRuns: v.map((r) => Math.round(r.tbt)),
        },
      ];
    }),
  );
  return { loadavgBefore: loadBefore.map((x) => x.toFixed(2)).join(' '), loadavgAfter: loadavg().map((x) => x.toFixed(2)).join(' '), ...variantsOut };
}

interface PathBytes {
  widgetBytes: number;
  deviceBytes: number;
  runtimeBytes: number;
  modelBytes: number;
  codeBytes: number;
  backend: string;
  origin: string;
}

async function firstOpen(page: Page, meter: TransferMeter, url: string): Promise<PathBytes> {
  await page.goto(url);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('switchyard-chat')!;
    const d = await el.whenReady();
    const a = await el.send('what is your return policy?');
    return { backend: d.backend ?? d.code ?? d.status, origin: a.origin };
  });
  const widget = (u: URL) => u.pathname.startsWith('/widget/');
  return {
    widgetBytes: meter.bytes(widget),
    deviceBytes: meter.bytes(isDeviceFile),
    runtimeBytes: meter.bytes((u) => /\/files\/.*\.(wasm|mjs)$/.test(u.pathname)),
    modelBytes: meter.bytes((u) => /\/files\/.*\.(onnx|json)$/.test(u.pathname)),
    codeBytes: meter.bytes((u) => widget(u) && u.pathname.endsWith('.js')),
    ...r,
  };
}

export async function benchTransfer(server: WidgetServer, chromiumPath: string, args: string[], webgpuArgs: string[], edge: string) {
  const q = `edge-url=${encodeURIComponent(edge)}`;
  const out: Record<string, PathBytes | { widgetBytes: number; deviceBytes: number }> = {};
  const cpu = await chromium.launch({ executablePath: chromiumPath, args });
  const gpu = await chromium.launch({ executablePath: chromiumPath, args: [...args, ...webgpuArgs] });
  try {
    const ctx = await cpu.newContext();
    let m = await TransferMeter.page(ctx);
    await m.page.goto(`${server.url}/?${q}`);
    await m.page.waitForTimeout(5000);
    out['page load, no interest (5 s)'] = { widgetBytes: m.meter.bytes((u) => u.pathname.startsWith('/widget/')), deviceBytes: m.meter.bytes(isDeviceFile) };
    out['first open, WASM (auto)'] = await firstOpen(m.page, m.meter, `${server.url}/?open&${q}`);
    m = await TransferMeter.page(ctx);
    out['second visit, WASM'] = await firstOpen(m.page, m.meter, `${server.url}/?open&${q}`);
    await ctx.close();

    const g = await gpu.newContext();
    m = await TransferMeter.page(g);
    out['first open, WebGPU (forced, SwiftShader)'] = await firstOpen(m.page, m.meter, `${server.url}/?open&backend=webgpu&${q}`);
    m = await TransferMeter.page(g);
    await m.meter.cdp.send('Emulation.setDataSaverOverride', { dataSaverEnabled: true });
    out['first open, Save-Data'] = await firstOpen(m.page, m.meter, `${server.url}/?open&${q}`);
    await g.close();
  } finally {
    await Promise.all([cpu.close(), gpu.close()]);
  }
  return out;
}
