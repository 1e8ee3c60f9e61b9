-- Models keyed by domain: every registry row (versions, stage history, rollout revisions) gets the domain pack it belongs to, and the unique keys become (domain, name, …), so two domains on one database never see each other's candidates, promotions or rollbacks. Rows written before domain packs existed belong to the one domain every region served then, kitsune-books; a routing config is named `<domain>-routing-config` and goes to that domain. The default only fills the old rows and is dropped: the registry always writes the domain.
DROP INDEX "model_rollouts_name_revision_idx";--> statement-breakpoint
DROP INDEX "model_stage_changes_name_idx";--> statement-breakpoint
DROP INDEX "model_versions_name_version_idx";--> statement-breakpoint
DROP INDEX "model_versions_one_production_idx";--> statement-breakpoint
ALTER TABLE "model_versions" ADD COLUMN "domain" text DEFAULT 'kitsune-books' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_stage_changes" ADD COLUMN "domain" text DEFAULT 'kitsune-books' NOT NULL;--> statement-breakpoint
ALTER TABLE "model_rollouts" ADD COLUMN "domain" text DEFAULT 'kitsune-books' NOT NULL;--> statement-breakpoint
UPDATE "model_versions" SET "domain" = left("name", length("name") - length('-routing-config')) WHERE "kind" = 'routing-config' AND "name" LIKE '%_-routing-config';--> statement-breakpoint
UPDATE "model_stage_changes" c SET "domain" = v."domain" FROM (SELECT DISTINCT ON ("name") "name", "domain" FROM "model_versions" ORDER BY "name", "id") v WHERE v."name" = c."name";--> statement-breakpoint
UPDATE "model_rollouts" r SET "domain" = v."domain" FROM (SELECT DISTINCT ON ("name") "name", "domain" FROM "model_versions" ORDER BY "name", "id") v WHERE v."name" = r."name";--> statement-breakpoint
ALTER TABLE "model_versions" ALTER COLUMN "domain" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "model_stage_changes" ALTER COLUMN "domain" DROP DEFAULT;--> statement-breakpoint
ALTER TABLE "model_rollouts" ALTER COLUMN "domain" DROP DEFAULT;--> statement-breakpoint
CREATE UNIQUE INDEX "model_rollouts_domain_name_revision_idx" ON "model_rollouts" USING btree ("domain","name","revision");--> statement-breakpoint
CREATE INDEX "model_stage_changes_domain_name_idx" ON "model_stage_changes" USING btree ("domain","name","id");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_domain_name_version_idx" ON "model_versions" USING btree ("domain","name","version");--> statement-breakpoint
CREATE UNIQUE INDEX "model_versions_domain_one_production_idx" ON "model_versions" USING btree ("domain","name") WHERE stage = 'production';
