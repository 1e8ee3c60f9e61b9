/**
 * The regional service as a child process (`node --import tsx regional/src/server.ts`), for tests
 * that must kill a region for real (SIGKILL): resolves with its URL once it logs "ready on".
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const ROOT = resolve(import.meta.dirname, '../..');

export interface RegionProcess {
  proc: ChildProcess;
  url: string;
  /** SIGKILL, resolved once the process is gone. */
  kill(): Promise<void>;
}

export function startRegionProcess(cwd: string, env: Record<string, string>): Promise<RegionProcess> {
  const proc = spawn(process.execPath, ['--import', pathToFileURL(join(ROOT, 'node_modules/tsx/dist/loader.mjs')).href, join(ROOT, 'regional/src/server.ts')], {
    cwd,
    env: {
      ...process.env,
      PORT: '0',
      EMBEDDER_MODEL: join(ROOT, 'models/default/embedder'),
      RERANKER_MODEL: join(ROOT, 'models/default/reranker'),
      CLASSIFIER_MODEL: join(ROOT, 'models/default/store-intent'),
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const kill = () =>
    new Promise<void>((done) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return done();
      proc.once('exit', () => done());
      proc.kill('SIGKILL');
    });
  return new Promise((ready, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`region did not start:\n${out}`)), 90_000);
    const onData = (d: Buffer) => {
      out = (out + d.toString()).slice(-20_000);
      const m = out.match(/ready on (http:\/\/[\d.]+:\d+)/);
      if (m) {
        clearTimeout(timer);
        ready({ proc, url: m[1], kill });
      }
    };
    proc.stdout!.on('data', onData);
    proc.stderr!.on('data', onData);
    proc.on('exit', (code) => reject(new Error(`region exited with ${code}:\n${out}`)));
  });
}
