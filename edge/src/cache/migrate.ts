/**
 * Applies the bundled D1 migrations once per isolate, recording them in the same `d1_migrations`
 * table `wrangler d1 migrations apply` uses, so either way of migrating sees the other's work.
 */
import { MIGRATIONS } from './migrations.ts';

let applied: Promise<void> | null = null;

export function ensureMigrated(db: D1Database): Promise<void> {
  applied ??= migrate(db).catch((e) => {
    applied = null;
    throw e;
  });
  return applied;
}

async function migrate(db: D1Database): Promise<void> {
  await db
    .prepare('CREATE TABLE IF NOT EXISTS d1_migrations (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)')
    .run();
  const done = new Set((await db.prepare('SELECT name FROM d1_migrations').all<{ name: string }>()).results.map((r) => r.name));
  for (const m of MIGRATIONS) {
    if (done.has(m.name)) continue;
    const statements = m.sql
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => db.prepare(s));
    try {
      await db.batch([...statements, db.prepare('INSERT INTO d1_migrations (name) VALUES (?)').bind(m.name)]);
    } catch (e) {
      // Another isolate may have applied it between our check and our batch (the batch is atomic).
      const again = await db.prepare('SELECT 1 AS ok FROM d1_migrations WHERE name = ?').bind(m.name).first();
      if (!again) throw e;
    }
  }
}
