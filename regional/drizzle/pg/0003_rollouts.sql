CREATE TABLE "model_rollouts" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_rollouts_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"revision" integer NOT NULL,
	"rule" jsonb,
	"actor" text NOT NULL,
	"reason" text,
	"details" jsonb,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
ALTER TABLE "model_stage_changes" ADD COLUMN "details" jsonb;--> statement-breakpoint
CREATE UNIQUE INDEX "model_rollouts_name_revision_idx" ON "model_rollouts" USING btree ("name","revision");