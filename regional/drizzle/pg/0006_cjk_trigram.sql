-- Text in scripts written without spaces (Japanese, Chinese, Thai…) has no words for the
-- `english` tsvector: pg_trgm's GIN index serves the substring search of fts-query.ts ngramTerms.
-- pg_trgm ships with PostgreSQL (contrib).
CREATE EXTENSION IF NOT EXISTS pg_trgm;
--> statement-breakpoint
CREATE INDEX IF NOT EXISTS "chunks_text_trgm_idx" ON "chunks" USING gin ("text" gin_trgm_ops);
