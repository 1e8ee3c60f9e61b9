/**
 * `npm test`'s pretest: checks what the suite needs outside node_modules before any test runs —
 * Node ≥ 20.19, Chromium (SWITCHYARD_CHROMIUM or /usr/bin/chromium), PostgreSQL at
 * SWITCHYARD_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/test) with pgvector and
 * pg_trgm available, and Redis at SWITCHYARD_TEST_REDIS_URL (default redis://127.0.0.1:6379).
 * As root it installs what .ci/run installs (Debian Chromium with apt-get, pgvector with
 * regional/src/store/install-pgvector.sh); otherwise, and for what it cannot install, it prints
 * exactly what is missing and how to get it, and exits 1. It never skips a check.
 */
import { execFileSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { createConnection } from 'node:net';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { CHROMIUM_PATH } from './chromium.ts';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const PG_URL = process.env.SWITCHYARD_TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.SWITCHYARD_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const isRoot = process.getuid?.() === 0;

interface Problem {
  what: string;
  fix: string;
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function run(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
    return true;
  } catch {
    return false;
  }
}

async function checkChromium(): Promise<Problem | null> {
  if (executable(CHROMIUM_PATH)) return null;
  if (isRoot && CHROMIUM_PATH === '/usr/bin/chromium') {
    console.log('prerequisites: installing Debian Chromium (apt-get install chromium)…');
    if (run('apt-get', ['-qq', 'update']) && run('apt-get', ['-qq', 'install', '-y', 'chromium']) && executable(CHROMIUM_PATH)) return null;
  }
  return {
    what: `Chromium is not at ${CHROMIUM_PATH} (the widget and dashboard tests drive a real browser)`,
    fix: 'as root: apt-get install -y chromium   (or point SWITCHYARD_CHROMIUM at a Chromium/Chrome executable)',
  };
}

async function pgExtensions(): Promise<{ error?: string; vector: boolean; trgm: boolean }> {
  const client = new pg.Client({ connectionString: PG_URL, connectionTimeoutMillis: 5000 });
  try {
    await client.connect();
    const r = await client.query<{ name: string }>(`SELECT name FROM pg_available_extensions WHERE name IN ('vector', 'pg_trgm')`);
    const names = new Set(r.rows.map((x) => x.name));
    return { vector: names.has('vector'), trgm: names.has('pg_trgm') };
  } catch (e) {
    return { error: (e as Error).message, vector: false, trgm: false };
  } finally {
    await client.end().catch(() => {});
  }
}

async function checkPostgres(): Promise<Problem[]> {
  let ext = await pgExtensions();
  if (ext.error) {
    return [{ what: `PostgreSQL is not reachable at ${PG_URL} (${ext.error})`, fix: 'install and start PostgreSQL (Debian: apt-get install -y postgresql && service postgresql start) with trust auth for 127.0.0.1, or set SWITCHYARD_TEST_PG_URL' }];
  }
  const local = ['127.0.0.1', 'localhost', '::1'].includes(new URL(PG_URL).hostname);
  if (!ext.vector && isRoot && local) {
    console.log('prerequisites: installing pgvector (regional/src/store/install-pgvector.sh)…');
    if (run('bash', ['regional/src/store/install-pgvector.sh'])) ext = await pgExtensions();
  }
  const out: Problem[] = [];
  if (!ext.vector) out.push({ what: `PostgreSQL at ${PG_URL} has no pgvector extension`, fix: 'as root: bash regional/src/store/install-pgvector.sh   (or run npm test as root once)' });
  if (!ext.trgm) out.push({ what: `PostgreSQL at ${PG_URL} has no pg_trgm extension`, fix: 'install the PostgreSQL contrib extensions (Debian ships them in postgresql-<major>)' });
  return out;
}

async function checkRedis(): Promise<Problem | null> {
  const u = new URL(REDIS_URL);
  const ok = await new Promise<boolean>((resolve) => {
    const s = createConnection({ host: u.hostname, port: Number(u.port || 6379), timeout: 3000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
  return ok ? null : { what: `Redis is not reachable at ${REDIS_URL} (shared rate limits are tested against it)`, fix: 'install and start Redis (Debian: apt-get install -y redis-server && service redis-server start), or set SWITCHYARD_TEST_REDIS_URL' };
}

function checkNode(): Problem | null {
  const [major, minor] = process.versions.node.split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 19) ? null : { what: `Node ${process.versions.node} is too old`, fix: 'install Node 20.19 or newer' };
}

export async function missingPrerequisites(): Promise<Problem[]> {
  const found = [checkNode(), await checkChromium(), ...(await checkPostgres()), await checkRedis()];
  return found.filter((p): p is Problem => p !== null);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const missing = await missingPrerequisites();
  if (missing.length) {
    console.error(`npm test needs ${missing.length === 1 ? 'one more thing' : `${missing.length} more things`} on this machine:`);
    for (const m of missing) console.error(`  ✗ ${m.what}\n      fix: ${m.fix}`);
    process.exit(1);
  }
  console.log('prerequisites: Node, Chromium, PostgreSQL with pgvector and pg_trgm, Redis — all present');
}
