CREATE TABLE `order_checks` (
	`session_id` text NOT NULL,
	`order_id` text NOT NULL,
	`proven_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`attempted_at` integer,
	`last_at` integer NOT NULL,
	PRIMARY KEY(`session_id`, `order_id`)
);
--> statement-breakpoint
CREATE INDEX `order_checks_last_at_idx` ON `order_checks` (`last_at`);