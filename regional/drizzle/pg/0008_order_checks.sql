CREATE TABLE "order_checks" (
	"session_id" text NOT NULL,
	"order_id" text NOT NULL,
	"proven_at" timestamp with time zone,
	"attempts" integer DEFAULT 0 NOT NULL,
	"attempted_at" timestamp with time zone,
	"last_at" timestamp with time zone NOT NULL,
	CONSTRAINT "order_checks_session_id_order_id_pk" PRIMARY KEY("session_id","order_id")
);
--> statement-breakpoint
CREATE INDEX "order_checks_last_at_idx" ON "order_checks" USING btree ("last_at");