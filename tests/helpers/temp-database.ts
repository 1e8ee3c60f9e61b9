/**
 * A temp folder and a fresh database of either dialect, for tests that run on both: a SQLite file
 * in the folder, or a temporary PostgreSQL database (pg-database.ts). cleanup() drops the
 * database and removes the folder.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTempDatabase } from './pg-database.ts';

export interface TempDatabase {
  dir: string;
  /** The SQLite file path or the PostgreSQL URL, as DATABASE_URL / openStore take it. */
  url: string;
  cleanup(): Promise<void>;
}

export async function tempDatabase(dialect: 'sqlite' | 'postgres', prefix: string, sqliteFile = 'store.db'): Promise<TempDatabase> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const removeDir = () => rmSync(dir, { recursive: true, force: true });
  if (dialect === 'sqlite') return { dir, url: join(dir, sqliteFile), cleanup: async () => removeDir() };
  try {
    const db = await createTempDatabase();
    return {
      dir,
      url: db.url,
      cleanup: async () => {
        await db.drop();
        removeDir();
      },
    };
  } catch (e) {
    removeDir();
    throw e;
  }
}
