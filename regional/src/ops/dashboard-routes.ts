/**
 * The ops dashboard, mounted by app.ts:
 *
 *   GET /dashboard                 the page (public: it holds no data; it asks for an admin key)
 *   GET /dashboard/:file           its script and style, and uPlot's built files from node_modules
 *   GET /v1/ops/timeseries         ?since=<epoch ms | ISO time>&maxPoints=<n>  (admin key) the sampled series
 *   GET /v1/ops/fleet              ?since=<epoch ms | ISO time>  (admin key) every instance that stored samples
 *                                  in the shared database since then (default the last 5 minutes), a row each, and totals
 *
 * Creating the routes for a Services starts its sampler (timeseries-sampler.ts); stopDashboard()
 * stops it before the store closes.
 */
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Hono } from 'hono';
import { z } from 'zod';
import { ApiError, validate } from '../../../shared/api/errors.ts';
import { requireKey, type AuthVars } from '../http/auth.ts';
import type { Services } from '../services.ts';
import { driftMonitor } from './drift-monitor.ts';
import { instanceId } from './instance-id.ts';
import { fleetView } from './fleet.ts';
import { isOpsSample, toPoints, type OpsSample } from './timeseries.ts';
import { LATENCY_BOUNDS_MS, TimeseriesSampler } from './timeseries-sampler.ts';

const require = createRequire(import.meta.url);
const PAGE_DIR = join(import.meta.dirname, 'dashboard');

/** Files the page loads, by name: where each is and its content type. */
const FILES: Record<string, { path: string; type: string }> = {
  'dashboard.js': { path: join(PAGE_DIR, 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  'dashboard.css': { path: join(PAGE_DIR, 'dashboard.css'), type: 'text/css; charset=utf-8' },
  'uplot.js': { path: require.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  'uplot.css': { path: require.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

const PAGE_HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

const TimeseriesQuery = z.object({
  since: z
    .string()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined) return undefined;
      const t = /^\d+$/.test(v) ? Number(v) : Date.parse(v);
      if (!Number.isFinite(t)) {
        ctx.addIssue({ code: 'custom', message: 'since must be epoch milliseconds or an ISO 8601 time' });
        return z.NEVER;
      }
      return t;
    }),
  maxPoints: z.coerce.number().int().min(10).max(10_000).default(1500),
});

const samplers = new WeakMap<Services, { sampler: TimeseriesSampler; started: Promise<void> }>();

/** The Services' sampler, started on first use (one per Services, however often routes are built). */
export function dashboardSampler(s: Services): { sampler: TimeseriesSampler; started: Promise<void> } {
  let entry = samplers.get(s);
  if (!entry) {
    const sampler = new TimeseriesSampler(s.metrics, s.store.opsSamples, {
      instance: instanceId(s.config),
      intervalMs: s.config.DASHBOARD_SAMPLE_MS,
      ringSize: s.config.DASHBOARD_RING_SIZE,
      retentionMs: s.config.DASHBOARD_RETENTION_HOURS * 3_600_000,
      edgeMetricsUrl: s.config.EDGE_METRICS_URL,
      drift: () => driftMonitor.report(),
    });
    const started = sampler.start();
    started.catch((e) => console.error(`dashboard sampler did not start: ${(e as Error).message}`));
    entry = { sampler, started };
    samplers.set(s, entry);
  }
  return entry;
}

/** Stops the Services' sampler (call before closing the store). */
export async function stopDashboard(s: Services): Promise<void> {
  const entry = samplers.get(s);
  if (!entry) return;
  await entry.started.catch(() => {});
  await entry.sampler.stop();
}

export function dashboardRoutes(s: Services) {
  const { sampler, started } = dashboardSampler(s);
  const app = new Hono<AuthVars>();
  const admin = requireKey(s.store, s.rateLimiter, ['admin']);

  app.get('/dashboard', async (c) => c.body(await readFile(join(PAGE_DIR, 'index.html'), 'utf8'), 200, { ...PAGE_HEADERS, 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache' }));

  app.get('/dashboard/:file', async (c) => {
    const f = FILES[c.req.param('file')];
    if (!f) throw new ApiError('NOT_FOUND', `no dashboard file ${c.req.param('file')}`);
    return c.body(await readFile(f.path), 200, { ...PAGE_HEADERS, 'content-type': f.type, 'cache-control': 'public, max-age=300' });
  });

  app.get('/v1/ops/timeseries', admin, async (c) => {
    const q = validate(TimeseriesQuery, c.req.query());
    await started.catch(() => {});
    const now = Date.now();
    const since = q.since ?? now - 3_600_000;
    const samples = await sampler.range(since);
    return c.json(
      {
        instance: sampler.opts.instance,
        sampleMs: sampler.opts.intervalMs,
        retentionHours: s.config.DASHBOARD_RETENTION_HOURS,
        since,
        now,
        edge: { configured: !!sampler.opts.edgeMetricsUrl },
        latencyBoundsMs: LATENCY_BOUNDS_MS,
        samples: samples.length,
        points: toPoints(samples, LATENCY_BOUNDS_MS, q.maxPoints),
      },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.get('/v1/ops/fleet', admin, async (c) => {
    const q = validate(TimeseriesQuery, c.req.query());
    await started.catch(() => {});
    const now = Date.now();
    const since = q.since ?? now - 5 * 60_000;
    const byInstance: Record<string, OpsSample[]> = {};
    for (const instance of await s.store.opsSamples.listOpsInstances(new Date(since))) {
      const rows = await s.store.opsSamples.listOpsSamples(instance, { since: new Date(since) });
      byInstance[instance] = rows.map((r) => r.data as unknown).filter(isOpsSample);
    }
    return c.json({ self: sampler.opts.instance, since, now, latencyBoundsMs: LATENCY_BOUNDS_MS, ...fleetView(byInstance, LATENCY_BOUNDS_MS) }, 200, { 'cache-control': 'no-store' });
  });

  return app;
}
