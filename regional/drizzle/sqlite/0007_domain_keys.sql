-- Models keyed by domain: every registry row (versions, stage history, rollout revisions) gets the domain pack it belongs to, and the unique keys become (domain, name, …), so two domains on one database never see each other's candidates, promotions or rollbacks. Rows written before domain packs existed belong to the one domain every region served then, kitsune-books; a routing config is named `<domain>-routing-config` and goes to that domain. SQLite cannot drop a column default without rebuilding the table, so the default stays; the registry always writes the domain.
DROP INDEX `model_rollouts_name_revision_idx`;--> statement-breakpoint
DROP INDEX `model_stage_changes_name_idx`;--> statement-breakpoint
DROP INDEX `model_versions_name_version_idx`;--> statement-breakpoint
DROP INDEX `model_versions_one_production_idx`;--> statement-breakpoint
ALTER TABLE `model_versions` ADD `domain` text DEFAULT 'kitsune-books' NOT NULL;--> statement-breakpoint
ALTER TABLE `model_stage_changes` ADD `domain` text DEFAULT 'kitsune-books' NOT NULL;--> statement-breakpoint
ALTER TABLE `model_rollouts` ADD `domain` text DEFAULT 'kitsune-books' NOT NULL;--> statement-breakpoint
UPDATE `model_versions` SET `domain` = substr(`name`, 1, length(`name`) - length('-routing-config')) WHERE `kind` = 'routing-config' AND `name` LIKE '%_-routing-config';--> statement-breakpoint
UPDATE `model_stage_changes` SET `domain` = (SELECT v.`domain` FROM `model_versions` v WHERE v.`name` = `model_stage_changes`.`name` LIMIT 1) WHERE EXISTS (SELECT 1 FROM `model_versions` v WHERE v.`name` = `model_stage_changes`.`name`);--> statement-breakpoint
UPDATE `model_rollouts` SET `domain` = (SELECT v.`domain` FROM `model_versions` v WHERE v.`name` = `model_rollouts`.`name` LIMIT 1) WHERE EXISTS (SELECT 1 FROM `model_versions` v WHERE v.`name` = `model_rollouts`.`name`);--> statement-breakpoint
CREATE UNIQUE INDEX `model_rollouts_domain_name_revision_idx` ON `model_rollouts` (`domain`,`name`,`revision`);--> statement-breakpoint
CREATE INDEX `model_stage_changes_domain_name_idx` ON `model_stage_changes` (`domain`,`name`,`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `model_versions_domain_name_version_idx` ON `model_versions` (`domain`,`name`,`version`);--> statement-breakpoint
CREATE UNIQUE INDEX `model_versions_domain_one_production_idx` ON `model_versions` (`domain`,`name`) WHERE stage = 'production';
