/**
 * Runs the edge Worker in workerd through `wrangler dev`, offline, as a child process; used by
 * `npm start`, `npm run dev:edge` and the tests. Builds the Worker's static assets (the domain's
 * model files, scripts/edge-assets.ts; incremental) first. Resolves once the Worker answers /healthz
 * with its load settled (both models loaded, or one failed): not while the embedder still loads.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../models/pipeline/datasets.ts';
import { edgeDomainTsconfig } from './domain-bundle.ts';
import { buildEdgeAssets } from './edge-assets.ts';

export interface EdgeProcess {
  url: string;
  child: ChildProcess;
  /** The Worker's recent output (its request log lines among it; the last 1 MB). */
  output(): string;
  stop(): Promise<void>;
}

/**
 * `domain`: the domain pack bundled into the Worker (default: SWITCHYARD_DOMAIN, else kitsune-books);
 * `config`: another wrangler configuration file; `readyPath`: what is polled until it answers (default
 * /healthz, which loads the models; a static asset's path does not start the Worker's isolate);
 * `assetsDir`: serve this static-assets folder as it is instead of building the domain's;
 * `inspectorPort`: where wrangler's inspector proxy listens (default: a random port); `root`: run
 * another checkout's Worker (a paired bench against main; give its built `assetsDir`).
 */
export async function startEdgeProcess(opts: { port: number; regionalUrl: string; persistTo?: string; vars?: Record<string, string>; quiet?: boolean; config?: string; domain?: string; readyPath?: string; assetsDir?: string; inspectorPort?: number; root?: string }): Promise<EdgeProcess> {
  const root = opts.root ?? repoRoot();
  const domain = opts.domain ?? process.env.SWITCHYARD_DOMAIN;
  const tsconfig = edgeDomainTsconfig(domain);
  const assets = opts.assetsDir ?? buildEdgeAssets(domain).dir;
  const args = ['dev', ...(opts.config ? ['--config', opts.config] : []), '--port', String(opts.port), '--ip', '127.0.0.1', '--var', `REGIONAL_URL:${opts.regionalUrl}`, '--show-interactive-dev-session=false'];
  args.push('--assets', assets);
  if (tsconfig) args.push('--tsconfig', tsconfig);
  // wrangler's default inspector ports (9229, 9230…) collide when several edges start at once. Drawn
  // below Linux's ephemeral range (32768–60999, where outgoing connections take their local ports)
  // and below the 20000–29999 the tests draw the edges' own ports from.
  args.push('--inspector-port', String(opts.inspectorPort ?? 10000 + Math.floor(Math.random() * 10000)));
  for (const [k, v] of Object.entries(opts.vars ?? {})) args.push('--var', `${k}:${v}`);
  if (opts.persistTo) args.push('--persist-to', opts.persistTo);
  const child = spawn(join(root, 'node_modules', '.bin', 'wrangler'), args, {
    cwd: root,
    // wrangler's local data explorer wraps every SQLite Durable Object class with a constructor that
    // commits the object's name into its database on every load (an fsync on the Worker's thread per
    // new or reloaded session, none of it in a deployed Worker): off unless X_LOCAL_EXPLORER is set.
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: process.env.CI ?? '', X_LOCAL_EXPLORER: process.env.X_LOCAL_EXPLORER ?? 'false' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const onData = (d: Buffer) => {
    const s = d.toString();
    log = (log + s).slice(-1_000_000);
    if (!opts.quiet) for (const line of s.split('\n')) if (line.trim() && !/Request\.cf|getaddrinfo|GetAddrInfoReqWrap/.test(line)) process.stdout.write(`[edge] ${line}\n`);
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  const url = `http://127.0.0.1:${opts.port}`;
  // A loaded machine (builds beside the tests) may need longer to load the models: EDGE_START_TIMEOUT_MS.
  const startMs = Number(process.env.EDGE_START_TIMEOUT_MS) || 120_000;
  const deadline = Date.now() + startMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log.slice(-3000)}`);
    try {
      const r = await fetch(`${url}${opts.readyPath ?? '/healthz'}`, { signal: AbortSignal.timeout(5000) });
      if (r.ok && (opts.readyPath || ((await r.json()) as { models?: string }).models !== 'loading')) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGTERM');
      throw new Error(`the edge did not answer ${opts.readyPath ?? '/healthz'} within ${startMs / 1000} s:\n${log.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    url,
    child,
    output: () => log,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const edge = await startEdgeProcess({
    port: Number(process.env.EDGE_PORT ?? 8787),
    regionalUrl: process.env.REGIONAL_URL ?? 'http://127.0.0.1:8788',
  });
  console.log(`edge ready on ${edge.url}`);
  process.on('SIGINT', () => void edge.stop().then(() => process.exit(0)));
}
