/**
 * Several region instances as one, for tests: each a real Node process (`regional/src/server.ts`)
 * on its own port, all on one database and one Redis, behind a tiny round-robin HTTP proxy (what
 * a load balancer in front of a fleet does; the edge's several region URLs are another branch's).
 * Each process is started by scripts/region-process.ts, as the fault tests and the soak bench
 * start theirs. close() stops the processes this helper started (by their own pid) and the proxy.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startRegionProcess, type RegionProcess } from '../../scripts/region-process.ts';

export interface FleetInstance {
  id: string;
  url: string;
  process: ChildProcess;
  /** Its stdout and stderr so far (for a failing test's message). */
  output(): string;
}

export interface RegionFleet {
  instances: FleetInstance[];
  /** The round-robin proxy in front of them. */
  url: string;
  /** Requests the proxy sent to each instance, by id. */
  sent: Record<string, number>;
  close(): Promise<void>;
}

/** Once the process says it is ready: until /readyz answers 200 (every configured model serves). */
async function waitReady(p: RegionProcess, end: number): Promise<void> {
  while (Date.now() < end) {
    if (await fetch(`${p.url}/readyz`).then((r) => r.ok, () => false)) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`region ${p.url} was not ready in time:\n${p.output().slice(-3000)}`);
}

/** Starts one region process per env (merged over `common`), waits until each is ready, and puts the proxy in front. */
export async function startRegionFleet(common: Record<string, string>, each: Record<string, string>[], readyMs = 180_000): Promise<RegionFleet> {
  const end = Date.now() + readyMs;
  const ids = each.map((own, i) => own.INSTANCE_ID ?? `region-${i + 1}`);
  const started = await Promise.allSettled(
    each.map(async (own, i) => {
      const p = await startRegionProcess({ LOG_LEVEL: 'error', ...common, ...own, INSTANCE_ID: ids[i], HOST: '127.0.0.1' }, { startMs: readyMs });
      try {
        await waitReady(p, end);
      } catch (e) {
        await p.stop();
        throw e;
      }
      return p;
    }),
  );
  const processes = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await Promise.all(processes.map((p) => p.stop()));
    throw failed.reason;
  }
  const instances: FleetInstance[] = processes.map((p, i) => ({ id: ids[i], url: p.url, process: p.child, output: p.output }));
  const sent: Record<string, number> = Object.fromEntries(instances.map((x) => [x.id, 0]));
  let next = 0;
  const proxy: Server = createServer((req, res) => {
    const target = instances[next++ % instances.length];
    sent[target.id]++;
    const u = new URL(target.url);
    const up = request({ host: u.hostname, port: u.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, { ...r.headers, 'x-fleet-instance': target.id });
      r.pipe(res);
    });
    up.on('error', (e) => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'UPSTREAM', message: e.message } }));
    });
    req.pipe(up);
  });
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  return {
    instances,
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    sent,
    close: async () => {
      proxy.closeAllConnections();
      await new Promise<void>((r) => proxy.close(() => r()));
      await Promise.all(processes.map((p) => p.stop()));
    },
  };
}
