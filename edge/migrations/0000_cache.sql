CREATE TABLE `cache_entries` (
	`id` text PRIMARY KEY NOT NULL,
	`intent` text NOT NULL,
	`entity_sig` text NOT NULL,
	`model_version` text NOT NULL,
	`question` text NOT NULL,
	`answer` text NOT NULL,
	`sources` text NOT NULL,
	`vector` text NOT NULL,
	`vector_scale` real NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `cache_entries_version_created` ON `cache_entries` (`model_version`,`created_at`);--> statement-breakpoint
CREATE INDEX `cache_entries_expires` ON `cache_entries` (`expires_at`);--> statement-breakpoint
CREATE TABLE `cache_meta` (
	`key` text PRIMARY KEY NOT NULL,
	`value` integer NOT NULL
);
