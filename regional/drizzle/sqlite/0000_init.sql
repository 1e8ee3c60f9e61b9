CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`key_hash` text NOT NULL,
	`prefix` text NOT NULL,
	`role` text NOT NULL,
	`rate_limit_per_minute` integer NOT NULL,
	`daily_token_quota` integer,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	CONSTRAINT "api_keys_role_check" CHECK("api_keys"."role" in ('partner', 'edge', 'admin'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_idx` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `chunks` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`document_id` text NOT NULL,
	`ordinal` integer NOT NULL,
	`text` text NOT NULL,
	`token_count` integer NOT NULL,
	`embedding` blob,
	`embedding_version` text,
	FOREIGN KEY (`document_id`) REFERENCES `documents`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `chunks_document_ordinal_idx` ON `chunks` (`document_id`,`ordinal`);--> statement-breakpoint
CREATE INDEX `chunks_embedding_version_idx` ON `chunks` (`embedding_version`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`id` text PRIMARY KEY NOT NULL,
	`session_id` text NOT NULL,
	`user_id` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_session_idx` ON `conversations` (`session_id`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`title` text NOT NULL,
	`source` text,
	`url` text,
	`metadata` text,
	`content_hash` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `prediction_logs` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`model_name` text NOT NULL,
	`model_version` text NOT NULL,
	`input_hash` text NOT NULL,
	`output` text,
	`latency_ms` real NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `prediction_logs_model_idx` ON `prediction_logs` (`model_name`,`id`);--> statement-breakpoint
CREATE TABLE `turns` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`conversation_id` text NOT NULL,
	`role` text NOT NULL,
	`text` text NOT NULL,
	`intent` text,
	`confidence` real,
	`route_path` text,
	`model_versions` text,
	`latency_ms` text,
	`tokens_in` integer,
	`tokens_out` integer,
	`cost_usd` real,
	`fallbacks` text,
	`trace_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`conversation_id`) REFERENCES `conversations`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "turns_role_check" CHECK("turns"."role" in ('user', 'assistant', 'system'))
);
--> statement-breakpoint
CREATE INDEX `turns_conversation_idx` ON `turns` (`conversation_id`,`id`);--> statement-breakpoint
CREATE TABLE `usage` (
	`key_id` text NOT NULL,
	`day` text NOT NULL,
	`requests` integer DEFAULT 0 NOT NULL,
	`tokens_in` integer DEFAULT 0 NOT NULL,
	`tokens_out` integer DEFAULT 0 NOT NULL,
	`cost_usd` real DEFAULT 0 NOT NULL,
	PRIMARY KEY(`key_id`, `day`),
	FOREIGN KEY (`key_id`) REFERENCES `api_keys`(`id`) ON UPDATE no action ON DELETE cascade
);
