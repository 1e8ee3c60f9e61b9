CREATE TABLE `batch_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`task` text NOT NULL,
	`status` text NOT NULL,
	`model_version` text NOT NULL,
	`input_path` text NOT NULL,
	`input_sha256` text NOT NULL,
	`input_bytes` integer NOT NULL,
	`output_path` text NOT NULL,
	`total_rows` integer NOT NULL,
	`rows_done` integer DEFAULT 0 NOT NULL,
	`input_offset` integer DEFAULT 0 NOT NULL,
	`output_bytes` integer DEFAULT 0 NOT NULL,
	`row_errors` integer DEFAULT 0 NOT NULL,
	`error_code` text,
	`error` text,
	`lease_owner` text,
	`lease_until` integer,
	`run_started_at` integer,
	`rows_at_run_start` integer DEFAULT 0 NOT NULL,
	`created_by` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`finished_at` integer,
	CONSTRAINT "batch_jobs_status_check" CHECK("batch_jobs"."status" in ('queued', 'running', 'succeeded', 'failed', 'canceled')),
	CONSTRAINT "batch_jobs_task_check" CHECK("batch_jobs"."task" in ('classify', 'embed', 'rerank'))
);
--> statement-breakpoint
CREATE INDEX `batch_jobs_status_idx` ON `batch_jobs` (`status`,`created_at`);--> statement-breakpoint
CREATE TABLE `model_stage_changes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`from_stage` text,
	`to_stage` text NOT NULL,
	`action` text NOT NULL,
	`actor` text NOT NULL,
	`reason` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `model_stage_changes_name_idx` ON `model_stage_changes` (`name`,`id`);--> statement-breakpoint
CREATE TABLE `model_versions` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`version` text NOT NULL,
	`kind` text NOT NULL,
	`artifact_uri` text NOT NULL,
	`files` text NOT NULL,
	`training_data_sha256` text,
	`metrics` text,
	`settings` text,
	`size_bytes` integer NOT NULL,
	`stage` text NOT NULL,
	`promoted_by` text,
	`promoted_at` integer,
	`reason` text,
	`git_commit` text,
	`parent_version` text,
	`baseline` text,
	`registered_by` text NOT NULL,
	`created_at` integer NOT NULL,
	CONSTRAINT "model_versions_stage_check" CHECK("model_versions"."stage" in ('dev', 'staging', 'production', 'archived'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_versions_name_version_idx` ON `model_versions` (`name`,`version`);--> statement-breakpoint
CREATE UNIQUE INDEX `model_versions_one_production_idx` ON `model_versions` (`name`) WHERE stage = 'production';