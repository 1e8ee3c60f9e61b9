-- Any embedding width: the fixed vector(100) column and its HNSW index give way to an untyped vector column; PgStore.open creates one partial HNSW index per (embedding version, dimension). Remembered fallback answers persist in fallback_answers.
CREATE TABLE "fallback_answers" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "fallback_answers_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"intent" text NOT NULL,
	"question" text NOT NULL,
	"text" text NOT NULL,
	"sources" jsonb NOT NULL,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
DROP INDEX "chunks_embedding_hnsw_idx";--> statement-breakpoint
ALTER TABLE "chunks" ALTER COLUMN "embedding" SET DATA TYPE vector;--> statement-breakpoint
CREATE INDEX "fallback_answers_intent_idx" ON "fallback_answers" USING btree ("intent","id");