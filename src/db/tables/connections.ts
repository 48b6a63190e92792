import { index, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/** Provider credentials. `secrets_enc` is AES-GCM ciphertext of a JSON object. */
export const connections = sqliteTable(
  "connections",
  {
    connectionId: text("connection_id").primaryKey(),
    orgId: text("org_id").notNull(),
    providerId: text("provider_id").notNull(),
    name: text("name").notNull(),
    secretsEnc: text("secrets_enc").notNull(),
    ...stamps,
  },
  (t) => [index("connections_org").on(t.orgId)],
);
