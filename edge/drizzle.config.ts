import { defineConfig } from 'drizzle-kit';

// `npx drizzle-kit generate --config edge/drizzle.config.ts` writes D1 migrations that both
// `wrangler d1 migrations apply` and the Worker's own startup migrator (edge/src/cache/migrate.ts) apply.
export default defineConfig({
  dialect: 'sqlite',
  schema: './edge/src/cache/schema.ts',
  out: './edge/migrations',
});
