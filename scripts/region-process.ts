/**
 * Runs the regional service as a child process (`regional/src/server.ts` under tsx), for what needs
 * the region in a process of its own: signals (SIGKILL, SIGSTOP) in fault tests, and its own RSS in
 * the soak bench. Resolves once it prints "ready on <url>"; `stop()` ends it (SIGCONT first, so a
 * frozen one can exit); `kill()` is SIGKILL, resolved once the process is gone. Run in another
 * folder (`cwd`, e.g. a test's temp dir), it loads the repository's default models (relative
 * model paths would not resolve there).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { repoRoot } from '../models/pipeline/datasets.ts';

export interface RegionProcess {
  url: string;
  child: ChildProcess;
  /** Its recent output (the last 1 MB). */
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const defaultModels = (root: string) => ({
  EMBEDDER_MODEL: join(root, 'models/default/embedder'),
  RERANKER_MODEL: join(root, 'models/default/reranker'),
  CLASSIFIER_MODEL: join(root, 'models/default/store-intent'),
});

/** `env`: the region's configuration (PORT 0 picks a free port); the parent's environment is passed on beneath it. */
export async function startRegionProcess(env: Record<string, string>, opts: { cwd?: string; startMs?: number } = {}): Promise<RegionProcess> {
  const root = repoRoot();
  const child = spawn(process.execPath, ['--import', pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href, join(root, 'regional/src/server.ts')], {
    cwd: opts.cwd ?? root,
    env: { ...process.env, PORT: '0', ...(opts.cwd ? defaultModels(root) : {}), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const gone = () => child.exitCode !== null || child.signalCode !== null;
  const kill = async () => {
    if (gone()) return;
    child.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    if (gone()) return;
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(`the region did not start within ${(opts.startMs ?? 120_000) / 1000} s`), opts.startMs ?? 120_000);
    const fail = (why: string) => {
      clearTimeout(timer);
      void stop();
      reject(new Error(`${why}:\n${log.slice(-3000)}`));
    };
    const onData = (d: Buffer) => {
      log = (log + d.toString()).slice(-1_000_000);
      const m = /ready on (http:\/\/[\d.]+:\d+)/.exec(log);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => fail(`the region exited (${code ?? signal})`));
  });
  return { url, child, output: () => log, stop, kill };
}
