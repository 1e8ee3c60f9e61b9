CREATE TABLE `fallback_answers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`intent` text NOT NULL,
	`question` text NOT NULL,
	`text` text NOT NULL,
	`sources` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `fallback_answers_intent_idx` ON `fallback_answers` (`intent`,`id`);