-- Built-in roles: `user` for every account, `admin` with every permission.
INSERT INTO "roles" ("name", "description", "built_in") VALUES
  ('user', 'Every account: self-service only', true),
  ('admin', 'Full administration', true)
ON CONFLICT ("name") DO NOTHING;
--> statement-breakpoint
INSERT INTO "role_permissions" ("role_name", "permission") VALUES ('admin', '*')
ON CONFLICT DO NOTHING;
--> statement-breakpoint
-- Accounts that existed before roles did get the default role.
INSERT INTO "user_roles" ("user_id", "role_name")
SELECT "id", 'user' FROM "users" WHERE "status" <> 'deleted'
ON CONFLICT DO NOTHING;
