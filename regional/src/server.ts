/**
 * Starts the regional service (`npm run dev:regional`): loads and warms the models, opens the
 * store, seeds the demo knowledge base, then serves on PORT (default 8788). /readyz turns ready
 * only after all of that.
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { ApiError } from '../../shared/api/errors.ts';
import { createApp } from './app.ts';
import { startHotReload } from './ops/hot-reload.ts';
import type { PromotionWatch } from './ops/promotion-watch.ts';
import { stopOps } from './ops/routes.ts';
import { stopDashboard } from './ops/dashboard-routes.ts';
import { loadConfig, type ResolvedConfig as RegionalConfig } from './config.ts';
import { ensureBootstrapKeys } from './http/auth.ts';
import { buildServices, type Services } from './services.ts';

export interface RunningRegional {
  url: string;
  services: Services;
  /** The hot reload of the in-process models (null when none is in process); `check()` looks at the registry now. */
  hotReload: PromotionWatch | null;
  close(): Promise<void>;
}

export async function startRegional(config: RegionalConfig = loadConfig(), log: (m: string) => void = (m) => console.log(`[regional] ${m}`)): Promise<RunningRegional> {
  const t0 = Date.now();
  const state = { ready: false };
  // Listen at once (liveness, and a clear 503 while starting); serve the API once models are warm.
  let app: ReturnType<typeof createApp> | null = null;
  const starting = new Hono();
  starting.get('/healthz', (c) => c.json({ status: 'ok' }));
  starting.all('*', (c) => c.json(new ApiError('MODEL_UNAVAILABLE', 'the service is starting: models are loading').toBody(), 503));
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: (req, env) => (app ?? starting).fetch(req, env), port: config.PORT, hostname: config.HOST }, () => resolve(s));
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : config.PORT;
  let services: Services;
  try {
    services = await buildServices(config, log);
    await ensureBootstrapKeys(services.store, [
      { key: config.EDGE_API_KEY, name: 'edge', role: 'edge', rateLimitPerMinute: 1_000_000 },
      { key: config.ADMIN_API_KEY, name: 'admin', role: 'admin', rateLimitPerMinute: config.DEFAULT_RATE_LIMIT_PER_MINUTE },
    ]);
  } catch (e) {
    server.close();
    throw e;
  }
  app = createApp(services, state);
  const hotReload = startHotReload(services, { intervalMs: config.HOT_RELOAD_INTERVAL_MS, log });
  state.ready = true;
  log(`ready on http://${config.HOST}:${port} in ${Date.now() - t0} ms`);
  return {
    url: `http://${config.HOST}:${port}`,
    services,
    hotReload,
    close: async () => {
      hotReload?.stop();
      await new Promise<void>((r) => server.close(() => r()));
      await stopDashboard(services);
      await stopOps(services);
      await services.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const running = await startRegional();
  const stop = async () => {
    await running.close();
    process.exit(0);
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}
