/**
 * Serves the demo store page and the built widget (`browser/dist`, under /widget/) with
 * @hono/node-server: `npm start` runs it on WIDGET_PORT (8790), the tests on a free port.
 * Precompressed .br / .gz siblings are served by the request's Accept-Encoding (brotli first), and
 * the content-addressed files/ and chunks/ as immutable for a year. With `isolated`, the
 * page is cross-origin isolated (COOP/COEP), which lets onnxruntime-web use WASM threads.
 *
 *   npx tsx browser/server.ts            (after `npm run build:widget`; EDGE_URL, WIDGET_PORT)
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono } from 'hono';
import { etag } from 'hono/etag';
import { DIST } from '../scripts/build-widget.ts';

const here = dirname(fileURLToPath(import.meta.url));

export interface WidgetServer {
  url: string;
  close(): Promise<void>;
}

export interface WidgetServerOptions {
  port: number;
  host?: string;
  /** The edge the demo page's widget talks to. */
  edgeUrl: string;
  distDir?: string;
  /** Send COOP/COEP so the page is cross-origin isolated (WASM threads). */
  isolated?: boolean;
}

function escapeAttr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** The demo page with the widget pointed at `edgeUrl`; extra attributes from the page's query. */
export function demoPage(edgeUrl: string, query: URLSearchParams = new URLSearchParams()): string {
  const allowed = ['theme', 'locale', 'backend', 'budget-ms', 'on-device', 'preload', 'edge-url'];
  const attrs: string[] = [];
  for (const name of allowed) {
    const v = query.get(name);
    if (v !== null && name !== 'edge-url') attrs.push(`${name}="${escapeAttr(v)}"`);
  }
  for (const flag of ['debug', 'open', 'inline']) if (query.has(flag)) attrs.push(flag);
  const edge = query.get('edge-url') ?? edgeUrl;
  const html = readFileSync(join(here, 'demo', 'index.html'), 'utf8')
    .replace('%EDGE_URL%', escapeAttr(edge))
    .replace('%WIDGET_ATTRS%', attrs.join(' '));
  // `?no-widget`: the same page without the module and the element (the page-cost bench's baseline).
  return query.has('no-widget') ? html.replace(/^.*switchyard-chat.*\n/gm, '') : html;
}

export async function startWidgetServer(opts: WidgetServerOptions): Promise<WidgetServer> {
  const dist = opts.distDir ?? DIST;
  const app = new Hono();
  app.use('*', async (c, next) => {
    await next();
    // files/ and chunks/ are named by their content: cached for a year, never revalidated.
    // Everything else (the page, the bundle's fixed name) is revalidated on every load.
    const immutable = c.res.ok && /^\/widget\/(files|chunks)\//.test(c.req.path);
    c.header('cache-control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache');
    if (opts.isolated) {
      c.header('cross-origin-opener-policy', 'same-origin');
      c.header('cross-origin-embedder-policy', 'require-corp');
      c.header('cross-origin-resource-policy', 'same-origin');
    }
  });
  app.get('/', (c) => c.html(demoPage(opts.edgeUrl, new URL(c.req.url).searchParams)));
  app.get('/healthz', (c) => c.json({ status: 'ok' }));
  // The bundle keeps its name, so it is revalidated: an ETag lets a repeat visit get a 304.
  app.use('/widget/switchyard-chat.js', etag());
  app.use(
    '/widget/*',
    serveStatic({ root: dist, precompressed: true, rewriteRequestPath: (p) => p.replace(/^\/widget/, '') }),
  );
  const host = opts.host ?? '127.0.0.1';
  const server = await new Promise<ReturnType<typeof serve>>((resolve, reject) => {
    const s = serve({ fetch: app.fetch, port: opts.port, hostname: host }, () => resolve(s));
    s.once('error', reject);
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
        server.close(() => resolve());
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const s = await startWidgetServer({ port: Number(process.env.WIDGET_PORT ?? 8790), edgeUrl: process.env.EDGE_URL ?? 'http://127.0.0.1:8787' });
  console.log(`demo store page: ${s.url}/`);
}
