/** drizzle-kit config for the PostgreSQL migrations: `npx drizzle-kit generate --config regional/drizzle.pg.config.ts` (from the repo root). */
import { defineConfig } from 'drizzle-kit';

export default defineConfig({
  dialect: 'postgresql',
  schema: './regional/src/store/schema.pg.ts',
  out: './regional/drizzle/pg',
});
