/**
 * Several region instances as one, for tests: each a real Node process (`regional/src/server.ts`)
 * on its own port, all on one database and one Redis, behind a tiny round-robin HTTP proxy (what
 * a load balancer in front of a fleet does; the edge's several region URLs are another branch's).
 * close() stops the processes this helper started (by their own pid) and the proxy.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ROOT } from './candidates.ts';

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

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

async function waitReady(url: string, child: ChildProcess, output: () => string, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`region ${url} exited (${child.exitCode}):\n${output().slice(-3000)}`);
    const ok = await fetch(`${url}/readyz`).then((r) => r.ok, () => false);
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`region ${url} was not ready within ${ms} ms:\n${output().slice(-3000)}`);
}

/** Starts one region process per env (merged over `common`), waits until each is ready, and puts the proxy in front. */
export async function startRegionFleet(common: Record<string, string>, each: Record<string, string>[], readyMs = 180_000): Promise<RegionFleet> {
  const instances: FleetInstance[] = [];
  try {
    for (const [i, own] of each.entries()) {
      const port = await freePort();
      const id = own.INSTANCE_ID ?? `region-${i + 1}`;
      let out = '';
      const child = spawn(process.execPath, ['--import', 'tsx', 'regional/src/server.ts'], {
        cwd: ROOT,
        env: { ...process.env, LOG_LEVEL: 'error', ...common, ...own, INSTANCE_ID: id, PORT: String(port), HOST: '127.0.0.1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout!.on('data', (d) => (out = (out + d).slice(-20_000)));
      child.stderr!.on('data', (d) => (out = (out + d).slice(-20_000)));
      instances.push({ id, url: `http://127.0.0.1:${port}`, process: child, output: () => out });
    }
    await Promise.all(instances.map((x) => waitReady(x.url, x.process, x.output, readyMs)));
  } catch (e) {
    await stopAll(instances);
    throw e;
  }
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
      await stopAll(instances);
    },
  };
}

/** SIGTERM (the server closes its store and Redis), SIGKILL after 10 s. */
async function stopAll(instances: FleetInstance[]): Promise<void> {
  await Promise.all(
    instances.map(
      (x) =>
        new Promise<void>((resolve) => {
          if (x.process.exitCode !== null || x.process.signalCode !== null) return resolve();
          const kill = setTimeout(() => x.process.kill('SIGKILL'), 10_000);
          x.process.once('exit', () => (clearTimeout(kill), resolve()));
          x.process.kill('SIGTERM');
        }),
    ),
  );
}
