/**
 * What the widget costs the store page (the page-cost half of `browser/bench.ts`), in headless
 * Chromium:
 *
 * - page load: LCP (the largest-contentful-paint entry) and total blocking time (the sum over
 *   long tasks of their time past 50 ms, until 5 s after load) of the demo page without the
 *   widget and with it (nothing loads before interest), optionally also with `preload="idle"`.
 *   Built for a shared, noisy machine: many rounds, each a pair run back to back in alternating
 *   order (AB, BA, …), each page in a fresh context; the verdict is the median of the per-round
 *   differences (paired, so the machine's load in that round cancels) with its interquartile
 *   range, beside each variant's median and the load average before and after. No CPU
 *   throttling by default (`--throttle 4` for Lighthouse's mobile slowdown): a 4× slowdown
 *   multiplies the other engineers' noise as well;
 * - bytes per path as the browser counts them (CDP encodedDataLength, transfer-meter.ts): before
 *   interest, the first open answering one template question on WASM (auto choice, no GPU), the
 *   first cacheable question after it (which loads the embedder), on WebGPU (forced,
 *   SwiftShader), with Save-Data, and the second visit.
 */
import { loadavg } from 'node:os';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { WidgetServer } from './server.ts';
import { isDeviceFile, TransferMeter } from './transfer-meter.ts';

const round1 = (x: number) => Math.round(x * 10) / 10;
/** The q-quantile of xs (linear between the two nearest ranks). */
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  const at = (s.length - 1) * q;
  const lo = Math.floor(at);
  return round1(s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (at - lo));
};
const median = (xs: number[]) => quantile(xs, 0.5);

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

async function pageLoad(browser: Browser, url: string, throttle: number): Promise<PageLoad> {
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  if (throttle > 1) await (await ctx.newCDPSession(page)).send('Emulation.setCPUThrottlingRate', { rate: throttle });
  await page.addInitScript(OBSERVE);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForTimeout(5000);
  const r = await page.evaluate(() => {
    const w = window as unknown as { __lcp: number; __tbt: number };
    return { lcp: w.__lcp, tbt: w.__tbt };
  });
  await ctx.close();
  return r;
}

export interface PageLoadOptions {
  rounds: number;
  /** CDP CPU throttling rate; 1 = none. */
  throttle: number;
  /** Also the `preload="idle"` variant (models loaded once the page is idle). */
  idle: boolean;
}

/** Median, interquartile range and min–max of xs, and the median as a share of `of`. */
function spread(xs: number[], of?: number) {
  const m = median(xs);
  return {
    median: m,
    iqr: [quantile(xs, 0.25), quantile(xs, 0.75)],
    range: [round1(Math.min(...xs)), round1(Math.max(...xs))],
    ...(of ? { ofBaselinePct: round1((100 * m) / of) } : {}),
  };
}

/** Page load with and without the widget, paired per round; see the header. */
export async function benchPageLoad(browser: Browser, server: WidgetServer, edge: string, opts: PageLoadOptions) {
  const all = { 'without the widget': '?no-widget', 'with the widget': '?', 'with the widget, preload="idle"': '?preload=idle' } as const;
  type Name = keyof typeof all;
  const names = (Object.keys(all) as Name[]).filter((n) => opts.idle || n !== 'with the widget, preload="idle"');
  const got = Object.fromEntries(names.map((n) => [n, [] as PageLoad[]])) as Record<Name, PageLoad[]>;
  const loadBefore = loadavg();
  for (let i = 0; i < opts.rounds; i++) {
    for (const name of i % 2 === 0 ? names : [...names].reverse()) {
      got[name].push(await pageLoad(browser, `${server.url}/${all[name]}&edge-url=${encodeURIComponent(edge)}`, opts.throttle));
    }
  }
  const base = got['without the widget'];
  const baseLcp = median(base.map((r) => r.lcp));
  const baseTbt = median(base.map((r) => r.tbt));
  const variantsOut = Object.fromEntries(
    names.map((name) => {
      const v = got[name];
      const diffs = (k: 'lcp' | 'tbt') => v.map((r, i) => r[k] - base[i][k]);
      return [
        name,
        {
          lcpMs: spread(v.map((r) => r.lcp)),
          tbtMs: spread(v.map((r) => r.tbt)),
          ...(name === 'without the widget' ? {} : { pairedLcpDiffMs: spread(diffs('lcp'), baseLcp), pairedTbtDiffMs: spread(diffs('tbt'), baseTbt || undefined) }),
          lcpRuns: v.map((r) => Math.round(r.lcp)),
          tbtRuns: v.map((r) => Math.round(r.tbt)),
        },
      ];
    }),
  );
  return {
    rounds: opts.rounds,
    cpuThrottling: opts.throttle,
    loadavgBefore: loadBefore.map((x) => x.toFixed(2)).join(' '),
    loadavgAfter: loadavg().map((x) => x.toFixed(2)).join(' '),
    ...variantsOut,
  };
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

const widget = (u: URL) => u.pathname.startsWith('/widget/');

function pathBytes(meter: TransferMeter, r: { backend: string; origin: string }): PathBytes {
  return {
    widgetBytes: meter.bytes(widget),
    deviceBytes: meter.bytes(isDeviceFile),
    runtimeBytes: meter.bytes((u) => /\/files\/.*\.(wasm|mjs)$/.test(u.pathname)),
    modelBytes: meter.bytes((u) => /\/files\/.*\.(onnx|json)$/.test(u.pathname)),
    codeBytes: meter.bytes((u) => widget(u) && u.pathname.endsWith('.js')),
    ...r,
  };
}

/** Bytes of opening the widget and answering one template question, 2 s after the answer (nothing may still be loading). */
async function firstOpen(page: Page, meter: TransferMeter, url: string): Promise<PathBytes> {
  await page.goto(url);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('switchyard-chat')!;
    const d = await el.whenReady();
    const a = await el.send('what is your return policy?');
    return { backend: d.backend ?? d.code ?? d.status, origin: a.origin };
  });
  await page.waitForTimeout(2000);
  return pathBytes(meter, r);
}

/** After firstOpen on the same page: a cacheable question, which loads the embedder (the edge answers it meanwhile). */
async function firstCacheable(page: Page, meter: TransferMeter): Promise<PathBytes> {
  const r = await page.evaluate(async () => {
    const el = document.querySelector('switchyard-chat')!;
    const a = await el.send('do you ship to canada?');
    return { backend: el.diagnostics.backend ?? el.diagnostics.status, origin: a.origin };
  });
  await page.waitForFunction(() => document.querySelector('switchyard-chat')!.diagnostics.embedderLoaded === true, undefined, { timeout: 60_000 });
  return pathBytes(meter, r);
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
    out['then a cacheable question (loads the embedder), WASM'] = await firstCacheable(m.page, m.meter);
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
