/** D1 schema of the edge's semantic cache (drizzle). Migrations: edge/migrations (drizzle-kit). */
import { index, integer, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const cacheEntries = sqliteTable(
  'cache_entries',
  {
    id: text('id').primaryKey(),
    intent: text('intent').notNull(),
    /** Entity signature of the question (see shared/cache/entities.ts); "" when it names none. */
    entitySig: text('entity_sig').notNull(),
    /** Version of the embedding model that made the key; other versions never match. */
    modelVersion: text('model_version').notNull(),
    question: text('question').notNull(),
    answer: text('answer').notNull(),
    sources: text('sources', { mode: 'json' }).$type<string[]>().notNull(),
    /** int8 key vector, base64. */
    vector: text('vector').notNull(),
    vectorScale: real('vector_scale').notNull(),
    createdAt: integer('created_at').notNull(),
    expiresAt: integer('expires_at').notNull(),
  },
  (t) => [index('cache_entries_version_created').on(t.modelVersion, t.createdAt), index('cache_entries_expires').on(t.expiresAt)],
);

/** Small key/value table: `epoch` is bumped by every invalidation so all isolates reload. */
export const cacheMeta = sqliteTable('cache_meta', {
  key: text('key').primaryKey(),
  value: integer('value').notNull(),
});
