/**
 * Picks and opens the Store for a URL: `postgres://` or `postgresql://` → PostgreSQL + pgvector;
 * anything else is a SQLite file path (an optional `sqlite:` or `file:` prefix is stripped) or
 * `:memory:`. No URL → `./data/switchyard.db`, creating the directory. Pending migrations are
 * applied before the store is returned.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { PgStore } from './pg-store.ts';
import { SqliteStore } from './sqlite-store.ts';
import { StoreError, type Store, type StoreOptions } from './types.ts';
import { checkStoreOptions } from './validate.ts';

export const DEFAULT_SQLITE_PATH = './data/switchyard.db';

export type StoreTarget = { dialect: 'postgres'; url: string } | { dialect: 'sqlite'; path: string };

/** Where a URL points, without opening anything. */
export function resolveStoreTarget(url: string | undefined): StoreTarget {
  const u = url?.trim() || DEFAULT_SQLITE_PATH;
  if (/^postgres(ql)?:\/\//i.test(u)) return { dialect: 'postgres', url: u };
  const path = u.replace(/^(sqlite|file):(\/\/)?/i, '');
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new StoreError('UNSUPPORTED_URL', `unsupported store URL scheme in ${u.replace(/\/\/[^@/]*@/, '//***@')}: use postgres://, postgresql://, a file path or :memory:`);
  }
  if (!path) throw new StoreError('UNSUPPORTED_URL', 'empty SQLite path');
  return { dialect: 'sqlite', path };
}

export async function openStore(url: string | undefined, opts: StoreOptions): Promise<Store> {
  const o = checkStoreOptions(opts);
  const target = resolveStoreTarget(url);
  if (target.dialect === 'postgres') return PgStore.open(target.url, o);
  if (target.path !== ':memory:') mkdirSync(dirname(resolve(target.path)), { recursive: true });
  return SqliteStore.open(target.path, o);
}
