import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { stamps } from "./_columns";

/** A delivery destination. `secret_enc` is AES-GCM ciphertext and never leaves the server. */
export const endpoints = sqliteTable(
  "endpoints",
  {
    endpointId: text("endpoint_id").primaryKey(),
    orgId: text("org_id").notNull(),
    workspaceId: text("workspace_id").notNull(),
    appId: text("app_id").notNull(),
    name: text("name").notNull(),
    url: text("url").notNull(),
    method: text("method").notNull().default("POST"),
    headers: text("headers", { mode: "json" }).$type<Record<string, string>>().notNull().default({}),
    secretEnc: text("secret_enc"),
    timeoutSeconds: integer("timeout_seconds").notNull().default(30),
    ...stamps,
  },
  (t) => [index("endpoints_app").on(t.orgId, t.appId)],
);
