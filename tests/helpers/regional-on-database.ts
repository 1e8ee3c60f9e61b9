/**
 * The regional service in this process on a fresh temp database of either dialect, for suites
 * that run once per dialect (`describe.each(['sqlite', 'postgres'])`): started before the block's
 * tests (a failure fails them, never skips them), closed and its database dropped after.
 * `started` receives the running service.
 */
import { afterAll } from 'vitest';
import { loadConfig } from '../../regional/src/config.ts';
import { startRegional, type RunningRegional } from '../../regional/src/server.ts';
import { setupOrFail } from './setup-or-fail.ts';
import { tempDatabase, type TempDatabase } from './temp-database.ts';

export function regionalOnDatabase(dialect: 'sqlite' | 'postgres', prefix: string, sqliteFile: string, started: (r: RunningRegional) => void): void {
  let db: TempDatabase | undefined;
  let r: RunningRegional | undefined;
  setupOrFail(async () => {
    db = await tempDatabase(dialect, prefix, sqliteFile);
    r = await startRegional(loadConfig({ PORT: '0', DATABASE_URL: db.url }), () => {});
    started(r);
  }, 120_000);
  afterAll(async () => {
    await r?.close();
    await db?.cleanup();
  });
}
