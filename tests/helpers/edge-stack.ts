/**
 * The two tiers as tests run them: the real regional service (SQLite in a temp dir), a TCP switch
 * in front of it (switch-proxy.ts) and the edge Worker in workerd pointed at the switch. Every
 * connection to the region is an answer's: the model refresher is off unless `vars` turn it on.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../../regional/src/server.ts';
import { startEdgeProcess, type EdgeProcess } from '../../scripts/edge-process.ts';
import { startSwitchProxy, type SwitchProxy } from './switch-proxy.ts';

export interface EdgeStack {
  dir: string;
  regional: RunningRegional;
  proxy: SwitchProxy;
  edge: EdgeProcess;
  close(): Promise<void>;
}

/** `vars`: the Worker's; `regionEnv`: the region's configuration on top of the defaults. */
export async function startEdgeStack(prefix: string, basePort: number, vars: Record<string, string> = {}, regionEnv: Record<string, string> = {}): Promise<EdgeStack> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const regional = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: join(dir, 'regional.db'), ...regionEnv }), () => {});
  const proxy = await startSwitchProxy(regional.url);
  const edge = await startEdgeProcess({
    port: basePort + Math.floor(Math.random() * 2000),
    regionalUrl: proxy.url,
    persistTo: join(dir, 'wrangler'),
    vars: { MODEL_REFRESH_INTERVAL_MS: '0', ...vars },
    quiet: true,
  });
  return {
    dir,
    regional,
    proxy,
    edge,
    async close() {
      await edge.stop();
      await proxy.close();
      await regional.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
