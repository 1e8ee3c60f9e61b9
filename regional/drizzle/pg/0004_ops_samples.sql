CREATE TABLE "ops_samples" (
	"instance" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"data" jsonb NOT NULL,
	CONSTRAINT "ops_samples_instance_at_pk" PRIMARY KEY("instance","at")
);
--> statement-breakpoint
CREATE INDEX "ops_samples_at_idx" ON "ops_samples" USING btree ("at");