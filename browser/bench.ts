/**
 * Benchmarks the widget in headless Chromium (Debian's, via playwright-core), per backend
 * (WebGPU on SwiftShader, WASM):
 *
 * - time to the first on-device answer after page load: navigation start → the widget has
 *   loaded its models and answered a template question, with a cold browser (empty Cache Storage
 *   and HTTP cache, a new context per run) and warm (the same context, loaded again);
 * - per-message on-device inference time: classify + embed + template/cache lookup of template
 *   questions, and send → answer shown;
 * - bytes downloaded for the models (and the runtime, and the bundle): decoded and on the wire
 *   (the demo server serves precompressed brotli);
 * - first, what the widget costs the page (bench-page-cost.ts): LCP and total blocking time with
 *   and without the widget in one run, and bytes per path (WASM, WebGPU, Save-Data).
 *
 * The edge is pointed at a closed port, so nothing here touches the network beyond the page's
 * own server. Prints one JSON document.
 *
 *   npx tsx browser/bench.ts [--runs 5] [--messages 40] [--backend webgpu|wasm] [--page-cost-only]
 *                            [--rounds 21] [--throttle 1] [--idle-variant]   (page load, bench-page-cost.ts)
 */
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { statSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Request } from 'playwright-core';
import { buildWidget, DIST } from '../scripts/build-widget.ts';
import { benchPageLoad, benchTransfer } from './bench-page-cost.ts';
import { startWidgetServer, type WidgetServer } from './server.ts';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../scripts/chromium.ts';

const CHROMIUM = CHROMIUM_PATH;
const BASE_ARGS = CHROMIUM_ARGS;
const WEBGPU_ARGS = ['--enable-unsafe-webgpu', '--use-webgpu-adapter=swiftshader'];

const MESSAGES = [
  'what is your return policy?',
  'can I return an opened box set?',
  'how long do I have to send a book back',
  'do you charge a restocking fee',
  'what are your support hours?',
  'what is your phone number',
  'where is the pickup desk',
  'are you open on sunday',
  'hello!',
  'thanks a lot',
  'goodbye',
  'are you a bot?',
  'can I talk to a human',
  'I want to speak to a real person',
  'my book arrived damaged, can I get a refund',
  'how do I exchange a volume',
];

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function stats(xs: number[]) {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  const r = (x: number) => Math.round(x * 10) / 10;
  return { n: s.length, median: r(q(0.5)), p95: r(q(0.95)), min: r(s[0]), max: r(s[s.length - 1]) };
}

async function deadPort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Load {
  answeredAtMs: number;
  readyMs: number;
  origin: string;
  backend: string;
  timings: Record<string, number>;
  transfer: { networkBytes: number; cacheBytes: number };
}

/** Opens the demo page in `ctx`, asks one template question once the widget is ready. */
async function firstAnswer(ctx: BrowserContext, url: string, pending: Promise<unknown>[] = []): Promise<Load> {
  const page = await ctx.newPage();
  await page.goto(url);
  const r = await page.evaluate(async () => {
    const el = document.querySelector('switchyard-chat')!;
    const d = await el.whenReady();
    const a = await el.send('what is your return policy?');
    return { answeredAtMs: performance.now(), readyMs: d.readyMs ?? -1, origin: a.origin, backend: d.backend ?? 'none', timings: d.timings ?? {}, transfer: d.transfer ?? { networkBytes: 0, cacheBytes: 0 }, status: d.status, reason: d.reason };
  });
  await Promise.all(pending);
  await page.close();
  if (r.status !== 'ready' || r.origin !== 'device') throw new Error(`the widget did not answer on the device: ${r.status} ${r.reason ?? ''} (${r.origin})`);
  return r as Load;
}

interface Transfer {
  decoded: number;
  wire: number;
  files: number;
}
type Bytes = Record<'models' | 'runtime' | 'bundle', Transfer>;

async function benchBackend(browser: Browser, server: WidgetServer, backend: 'webgpu' | 'wasm', runs: number, messages: number) {
  const url = `${server.url}/?open&backend=${backend}&edge-url=${encodeURIComponent(`http://127.0.0.1:${await deadPort()}`)}`;
  const cold: Load[] = [];
  const warm: Load[] = [];
  let bytes: Bytes | null = null;
  for (let i = 0; i < runs; i++) {
    const ctx = await browser.newContext();
    const seen: { kind: keyof Bytes; decoded: number; wire: number }[] = [];
    const pending: Promise<unknown>[] = [];
    if (i === 0) {
      ctx.on('requestfinished', (r: Request) => {
        const path = new URL(r.url()).pathname;
        const kind = /^\/widget\/files\/.*\.(onnx|json)$/.test(path) ? 'models' : /^\/widget\/files\//.test(path) ? 'runtime' : path.startsWith('/widget/') ? 'bundle' : null;
        if (!kind) return;
        pending.push(
          (async () => {
            // Decoded size from the file served (the inspector does not keep 27 MB bodies).
            const decoded = statSync(join(DIST, decodeURIComponent(path.slice('/widget/'.length)))).size;
            seen.push({ kind, decoded, wire: (await r.sizes()).responseBodySize });
          })(),
        );
      });
    }
    cold.push(await firstAnswer(ctx, url, pending));
    if (i === 0) {
      bytes = { models: { decoded: 0, wire: 0, files: 0 }, runtime: { decoded: 0, wire: 0, files: 0 }, bundle: { decoded: 0, wire: 0, files: 0 } };
      for (const x of seen) {
        bytes[x.kind].decoded += x.decoded;
        bytes[x.kind].wire += x.wire;
        bytes[x.kind].files++;
      }
    }
    warm.push(await firstAnswer(ctx, url));
    await ctx.close();
  }

  // Per-message inference on a warm page.
  const ctx = await browser.newContext();
  const page = await ctx.newPage();
  await page.goto(url);
  const per = await page.evaluate(
    async ({ msgs, n }) => {
      const el = document.querySelector('switchyard-chat')!;
      await el.whenReady();
      const out: { inferenceMs: number; classifyMs: number; answerMs: number; shownMs: number; origin: string }[] = [];
      for (let i = 0; i < n; i++) {
        const a = await el.send(msgs[i % msgs.length]);
        if (!a.device) continue;
        out.push({ inferenceMs: a.device.classifyMs + a.device.answerMs, classifyMs: a.device.classifyMs, answerMs: a.device.answerMs, shownMs: a.ms, origin: a.origin });
      }
      return out;
    },
    { msgs: MESSAGES, n: messages },
  );
  await ctx.close();
  const onDevice = per.filter((p) => p.origin === 'device');
  return {
    backend,
    coldFirstAnswerMs: stats(cold.map((c) => c.answeredAtMs)),
    warmFirstAnswerMs: stats(warm.map((c) => c.answeredAtMs)),
    coldLoad: {
      runtimeMs: stats(cold.map((c) => c.timings.runtimeMs)),
      filesMs: stats(cold.map((c) => c.timings.filesMs)),
      sessionsMs: stats(cold.map((c) => c.timings.sessionsMs)),
      warmupMs: stats(cold.map((c) => c.timings.warmupMs)),
      firstInferenceMs: stats(cold.map((c) => c.timings.firstInferenceMs)),
    },
    warmLoad: {
      filesMs: stats(warm.map((c) => c.timings.filesMs)),
      sessionsMs: stats(warm.map((c) => c.timings.sessionsMs)),
      warmupMs: stats(warm.map((c) => c.timings.warmupMs)),
    },
    perMessage: {
      answeredOnDevice: `${onDevice.length}/${per.length}`,
      inferenceMs: stats(onDevice.map((p) => p.inferenceMs)),
      classifyMs: stats(onDevice.map((p) => p.classifyMs)),
      embedAndAnswerMs: stats(onDevice.map((p) => p.answerMs)),
      sendToShownMs: stats(onDevice.map((p) => p.shownMs)),
    },
    bytes: {
      ...bytes,
      coldFromNetwork: cold[0].transfer.networkBytes,
      warmFromNetwork: warm[0].transfer.networkBytes,
      warmFromCacheStorage: warm[0].transfer.cacheBytes,
    },
  };
}

const runs = Number(arg('runs', '5'));
const messages = Number(arg('messages', '40'));
const only = arg('backend', '');
const pageCostOnly = process.argv.includes('--page-cost-only');
/** Page-load rounds (each a pair with and without the widget), CPU throttling (1 = none), the preload="idle" variant. */
const rounds = Number(arg('rounds', '21'));
const throttle = Number(arg('throttle', '1'));
const withIdle = process.argv.includes('--idle-variant');
await buildWidget({ quiet: true });
const server = await startWidgetServer({ port: 0, edgeUrl: 'http://127.0.0.1:9' });
const results = [];
let pageCost: unknown = null;
try {
  {
    const dead = `http://127.0.0.1:${await deadPort()}`;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: BASE_ARGS });
    try {
      pageCost = { pageLoad: await benchPageLoad(browser, server, dead, { rounds, throttle, idle: withIdle }), transfer: await benchTransfer(server, CHROMIUM, BASE_ARGS, WEBGPU_ARGS, dead) };
    } finally {
      await browser.close();
    }
  }
  for (const backend of ['webgpu', 'wasm'] as const) {
    if (pageCostOnly || (only && only !== backend)) continue;
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: [...BASE_ARGS, ...(backend === 'webgpu' ? WEBGPU_ARGS : [])] });
    try {
      results.push(await benchBackend(browser, server, backend, runs, messages));
    } finally {
      await browser.close();
    }
  }
} finally {
  await server.close();
}
let chromiumVersion = 'unknown';
try {
  chromiumVersion = execFileSync(CHROMIUM, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
} catch {
  // reported as unknown
}
console.log(
  JSON.stringify(
    {
      command: `npx tsx browser/bench.ts --runs ${runs} --rounds ${rounds} --throttle ${throttle}${withIdle ? ' --idle-variant' : ''}${pageCostOnly ? ' --page-cost-only' : ` --messages ${messages}`}${only ? ` --backend ${only}` : ''}`,
      chromium: chromiumVersion,
      headless: true,
      cpu: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
      runs,
      pageCost,
      results,
    },
    null,
    2,
  ),
);
