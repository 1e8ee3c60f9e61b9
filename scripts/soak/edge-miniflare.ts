/**
 * `npx tsx scripts/soak/edge-miniflare.ts --port P --regional-url URL [--persist-to DIR]
 *   [--inspector-port Q] [--var NAME=VALUE]… [--without BINDING]… [--direct-outbound]`: the edge Worker in one workerd under Miniflare,
 * without wrangler dev (bench only: the soak's `--edge-runner miniflare`). wrangler dev runs two
 * workerd processes: the Worker's, and a dev proxy in front of it (the port clients call), which a
 * deployed Worker does not have; this runs only the first. Same script as `wrangler deploy` ships
 * (its `--dry-run` bundle), same bindings (wrangler.toml through wrangler's own
 * `unstable_getMiniflareWorkerOptions`: D1, the sessions' Durable Objects on SQLite, the
 * rate-limit bindings, static assets), same vars. Prints "ready on <url>" once /healthz has its
 * models settled; the Worker's log lines are read and dropped (wrangler dev prints them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { pathToFileURL } from 'node:url';
import { Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';
import { repoRoot } from '../../models/pipeline/datasets.ts';
import { edgeDomainTsconfig } from '../domain-bundle.ts';
import { buildEdgeAssets } from '../edge-assets.ts';

/**
 * Starts this runner as a child process (its workerd under it, so the bench reads their RSS apart
 * from its own) and resolves once it says it is ready. `inspectorPort`: workerd's own inspector
 * (none when absent: no inspector attached at all).
 */
export async function startEdgeUnderMiniflare(o: { port: number; regionalUrl: string; persistTo?: string; inspectorPort?: number; vars?: Record<string, string>; without?: string[]; directOutbound?: boolean }) {
  const root = repoRoot();
  const args = ['--port', String(o.port), '--regional-url', o.regionalUrl, ...(o.persistTo ? ['--persist-to', o.persistTo] : []), ...(o.inspectorPort ? ['--inspector-port', String(o.inspectorPort)] : [])];
  for (const [k, v] of Object.entries(o.vars ?? {})) args.push('--var', `${k}=${v}`);
  for (const b of o.without ?? []) args.push('--without', b);
  if (o.directOutbound) args.push('--direct-outbound');
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, import.meta.filename, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log = (log + d.toString()).slice(-100_000);
      const m = /ready on (http:\/\/[\d.]+:\d+)/.exec(log);
      if (m) resolve(m[1]);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`the Miniflare edge exited (${code}):\n${log.slice(-3000)}`)));
  });
  const stop = () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
      setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
    });
  return { url, child, stop };
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) await main();

async function main() {
  const { values } = parseArgs({
    options: {
      port: { type: 'string' },
      'regional-url': { type: 'string' },
      'persist-to': { type: 'string' },
      'inspector-port': { type: 'string' },
      var: { type: 'string', multiple: true },
      /** A binding left out (bisection): SESSIONS (every chat single-turn), CLIENT_LIMITER, SESSION_LIMITER (the in-isolate fallback counts instead). */
      without: { type: 'string', multiple: true },
      /** The Worker's fetches go straight to the network, not through Miniflare's strip-cf-connecting-ip worker. */
      'direct-outbound': { type: 'boolean', default: false },
    },
  });
  if (!values.port || !values['regional-url']) throw new Error('--port and --regional-url are required');
  const root = repoRoot();
  const domain = process.env.SWITCHYARD_DOMAIN;
  const assets = buildEdgeAssets(domain).dir;
  const tsconfig = edgeDomainTsconfig(domain);
  const out = mkdtempSync(join(tmpdir(), 'sy-edge-bundle-'));
  const built = spawnSync(join(root, 'node_modules', '.bin', 'wrangler'), ['deploy', '--dry-run', '--outdir', out, '--assets', assets, ...(tsconfig ? ['--tsconfig', tsconfig] : [])], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false' },
  });
  if (built.status !== 0) throw new Error(`wrangler deploy --dry-run failed:\n${(built.stdout + built.stderr).slice(-3000)}`);

  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(root, 'wrangler.toml'), undefined, { overrides: { assets: { directory: assets } } });
  const vars = Object.fromEntries((values.var ?? []).map((v) => [v.slice(0, v.indexOf('=')), v.slice(v.indexOf('=') + 1)]));
  const persist = values['persist-to'];
  const options = workerOptions as { durableObjects?: Record<string, unknown>; ratelimits?: Record<string, unknown> };
  for (const b of values.without ?? []) {
    if (!(b in (options.durableObjects ?? {})) && !(b in (options.ratelimits ?? {}))) throw new Error(`--without ${b}: not a Durable Object or rate-limit binding of wrangler.toml`);
    delete options.durableObjects?.[b];
    delete options.ratelimits?.[b];
  }
  const mf = new Miniflare({
    ...(workerOptions as object),
    name: 'switchyard-edge',
    // Every module of the bundle named (it imports the migrations dynamically, which Miniflare cannot follow).
    modules: readdirSync(out)
      .filter((f) => !f.endsWith('.map') && f !== 'README.md')
      .map((f) => ({ type: f.endsWith('.sql') ? 'Text' : f.endsWith('.wasm') ? 'CompiledWasm' : f.endsWith('.bin') ? 'Data' : 'ESModule', path: join(out, f) }))
      .sort((a, b) => Number(b.path.endsWith('index.js')) - Number(a.path.endsWith('index.js'))),
    modulesRoot: out,
    bindings: { ...(workerOptions.bindings as Record<string, string>), REGIONAL_URL: values['regional-url'], ...vars },
    host: '127.0.0.1',
    port: Number(values.port),
    ...(values['inspector-port'] ? { inspectorPort: Number(values['inspector-port']) } : {}),
    ...(persist ? { d1Persist: join(persist, 'd1'), durableObjectsPersist: join(persist, 'do'), cachePersist: join(persist, 'cache') } : {}),
    // Offline: no request.cf from the network.
    cf: false,
    stripCfConnectingIp: !values['direct-outbound'],
    handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
      stdout.resume();
      stderr.resume();
    },
  } as ConstructorParameters<typeof Miniflare>[0]);
  const url = (await mf.ready).origin;
  // workerd was handed the modules' contents: the bundle's folder is not needed any more.
  rmSync(out, { recursive: true, force: true });
  for (const end = Date.now() + (Number(process.env.EDGE_START_TIMEOUT_MS) || 120_000); ; ) {
    const health = await fetch(`${url}/healthz`).then((r) => r.json() as Promise<{ models?: string }>, () => null);
    if (health && health.models !== 'loading') break;
    if (Date.now() > end) throw new Error('the edge did not settle its models in time');
    await new Promise((r) => setTimeout(r, 300));
  }
  console.log(`ready on ${url}`);
  const stop = () => void mf.dispose().then(() => process.exit(0));
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}
