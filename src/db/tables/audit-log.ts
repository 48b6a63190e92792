import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { ts } from "./_columns";

/** Every management and run-control call: who, what, target, result, when. */
export const auditLog = sqliteTable(
  "audit_log",
  {
    auditId: text("audit_id").primaryKey(),
    orgId: text("org_id").notNull(),
    actorType: text("actor_type").notNull(),
    actorId: text("actor_id").notNull(),
    action: text("action").notNull(),
    targetType: text("target_type").notNull(),
    targetId: text("target_id"),
    result: text("result").notNull(),
    statusCode: integer("status_code"),
    requestId: text("request_id"),
    details: text("details", { mode: "json" }).$type<unknown>(),
    createdAt: ts("created_at").notNull(),
  },
  (t) => [index("audit_org").on(t.orgId, t.auditId)],
);
