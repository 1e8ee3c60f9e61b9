-- Any embedding width: the fixed vector(100) column and its HNSW index give way to an untyped vector column; PgStore.open creates one partial HNSW index per (embedding version, dimension).
DROP INDEX "chunks_embedding_hnsw_idx";--> statement-breakpoint
ALTER TABLE "chunks" ALTER COLUMN "embedding" SET DATA TYPE vector;