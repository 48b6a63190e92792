import { index, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/**
 * People who sign in with the OAuth2 password grant. `password_hash` is PBKDF2-SHA256.
 * An email is unique within an org (not across orgs, so creating a user never reveals that
 * an address is used by another tenant).
 */
export const users = sqliteTable(
  "users",
  {
    userId: text("user_id").primaryKey(),
    orgId: text("org_id").notNull(),
    email: text("email").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "editor", "runner", "viewer"] }).notNull(),
    passwordHash: text("password_hash").notNull(),
    ...stamps,
  },
  (t) => [uniqueIndex("users_org_email").on(t.orgId, t.email), index("users_email").on(t.email)],
);
