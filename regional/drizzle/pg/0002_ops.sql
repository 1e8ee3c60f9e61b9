CREATE TABLE "batch_jobs" (
	"id" text PRIMARY KEY NOT NULL,
	"task" text NOT NULL,
	"status" text NOT NULL,
	"model_version" text NOT NULL,
	"input_path" text NOT NULL,
	"input_sha256" text NOT NULL,
	"input_bytes" bigint NOT NULL,
	"output_path" text NOT NULL,
	"total_rows" bigint NOT NULL,
	"rows_done" bigint DEFAULT 0 NOT NULL,
	"input_offset" bigint DEFAULT 0 NOT NULL,
	"output_bytes" bigint DEFAULT 0 NOT NULL,
	"row_errors" bigint DEFAULT 0 NOT NULL,
	"error_code" text,
	"error" text,
	"lease_owner" text,
	"lease_until" timestamp with time zone,
	"run_started_at" timestamp with time zone,
	"rows_at_run_start" bigint DEFAULT 0 NOT NULL,
	"created_by" text,
	"created_at" timestamp with time zone NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	CONSTRAINT "batch_jobs_status_check" CHECK ("batch_jobs"."status" in ('queued', 'running', 'succeeded', 'failed', 'canceled')),
	CONSTRAINT "batch_jobs_task_check" CHECK ("batch_jobs"."task" in ('classify', 'embed', 'rerank'))
);
--> statement-breakpoint
CREATE TABLE "model_stage_changes" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_stage_changes_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"version" text NOT NULL,
	"from_stage" text,
	"to_stage" text NOT NULL,
	"action" text NOT NULL,
	"actor" text NOT NULL,
	"reason" text,
	"created_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "model_versions" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "model_versions_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"name" text NOT NULL,
	"version" text NOT NULL,
	"kind" text NOT NULL,
	"artifact_uri" text NOT NULL,
	"files" jsonb NOT NULL,
	"training_data_sha256" text,
	"metrics" jsonb,
	"settings" jsonb,
	"size_bytes" bigint NOT NULL,
	"stage" text NOT NULL,
	"promoted_by" text,
	"promoted_at" timestamp with time zone,
	"reason" text,
	"git_commit" text,
	"parent_version" text,
	"baseline" jsonb,
	"registered_by" text NOT NULL,
	"created_at" timestamp with time zone NOT NULL,
	CONSTRAINT "model_versions_stage_check" CHECK ("model_versions"."stage" in ('dev', 'staging', 'production', 'archived'))
);
--> statement-breakpoint
CREATE INDEX "batch_jobs_status_idx" ON "batch_jobs" USING btree ("status","created_at");--> statement-breakpoint
CREATE INDEX "model_stage_changes_name_idx" ON "model_stage_changes" USING btree ("name","id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_name_version_idx" ON "model_versions" USING btree ("name","version");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_one_production_idx" ON "model_versions" USING btree ("name") WHERE stage = 'production';