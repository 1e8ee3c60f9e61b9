/** drizzle-kit config for the SQLite migrations: `npx drizzle-kit generate --config regional/drizzle.sqlite.config.ts` (from the repo root). */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'sqlite',
  schema: './regional/src/store/schema.sqlite.ts',
  out: './regional/drizzle/sqlite',
});
