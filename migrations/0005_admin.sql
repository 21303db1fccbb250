ALTER TABLE "one_time_tokens" DROP CONSTRAINT "one_time_tokens_purpose_valid";--> statement-breakpoint
DROP INDEX "users_created_at_id_idx";--> statement-breakpoint
CREATE INDEX "audit_events_type_idx" ON "audit_events" USING btree ("type" text_pattern_ops,"occurred_at","seq");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor_user_id","occurred_at","seq");--> statement-breakpoint
CREATE INDEX "users_directory_idx" ON "users" USING btree ("created_at","id","status","email_verified_at","email","username","full_name");--> statement-breakpoint
CREATE INDEX "users_status_created_at_id_idx" ON "users" USING btree ("status","created_at","id");--> statement-breakpoint
CREATE INDEX "users_verified_created_at_id_idx" ON "users" USING btree ("created_at","id") WHERE "users"."email_verified_at" IS NOT NULL;--> statement-breakpoint
CREATE INDEX "users_unverified_created_at_id_idx" ON "users" USING btree ("created_at","id") WHERE "users"."email_verified_at" IS NULL;--> statement-breakpoint
CREATE INDEX "users_email_prefix_idx" ON "users" USING btree (lower("email"::text) text_pattern_ops,"created_at","id","status","email");--> statement-breakpoint
CREATE INDEX "users_username_prefix_idx" ON "users" USING btree (lower("username"::text) text_pattern_ops,"created_at","id","status","username");--> statement-breakpoint
CREATE INDEX "users_full_name_prefix_idx" ON "users" USING btree (lower("full_name") text_pattern_ops,"created_at","id","status","full_name");--> statement-breakpoint
CREATE INDEX "users_full_name_rest_prefix_idx" ON "users" USING btree (substr(lower("full_name"), strpos("full_name", ' ') + 1) text_pattern_ops,"created_at","id","status","full_name");--> statement-breakpoint
ALTER TABLE "one_time_tokens" ADD CONSTRAINT "one_time_tokens_purpose_valid" CHECK ("one_time_tokens"."purpose" IN ('verify_email', 'reset_password', 'change_email', 'mfa_challenge', 'invite'));