CREATE TABLE `ops_samples` (
	`instance` text NOT NULL,
	`at` integer NOT NULL,
	`data` text NOT NULL,
	PRIMARY KEY(`instance`, `at`)
);
--> statement-breakpoint
CREATE INDEX `ops_samples_at_idx` ON `ops_samples` (`at`);