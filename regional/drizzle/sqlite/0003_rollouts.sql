CREATE TABLE `model_rollouts` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`name` text NOT NULL,
	`revision` integer NOT NULL,
	`rule` text,
	`actor` text NOT NULL,
	`reason` text,
	`details` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `model_rollouts_name_revision_idx` ON `model_rollouts` (`name`,`revision`);--> statement-breakpoint
ALTER TABLE `model_stage_changes` ADD `details` text;