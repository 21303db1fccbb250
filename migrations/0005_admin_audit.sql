ALTER TABLE "one_time_tokens" DROP CONSTRAINT "one_time_tokens_purpose_valid";--> statement-breakpoint
CREATE INDEX "audit_events_type_idx" ON "audit_events" USING btree ("type" text_pattern_ops,"occurred_at","seq");--> statement-breakpoint
CREATE INDEX "audit_events_actor_idx" ON "audit_events" USING btree ("actor_user_id","occurred_at","seq");--> statement-breakpoint
ALTER TABLE "one_time_tokens" ADD CONSTRAINT "one_time_tokens_purpose_valid" CHECK ("one_time_tokens"."purpose" IN ('verify_email', 'reset_password', 'change_email', 'mfa_challenge', 'invite'));