import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";

/** Org API keys: only the SHA-256 hash of the secret part is stored. */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    keyId: text("key_id").primaryKey(),
    orgId: text("org_id").notNull(),
    name: text("name").notNull(),
    role: text("role", { enum: ["admin", "editor", "runner", "viewer"] }).notNull(),
    tokenHash: text("token_hash").notNull(),
    createdAt: ts("created_at").notNull(),
    updatedAt: ts("updated_at").notNull(),
    revokedAt: ts("revoked_at"),
    lastUsedAt: ts("last_used_at"),
  },
  (t) => [index("api_keys_org").on(t.orgId)],
);
