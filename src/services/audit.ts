import { auditLog } from "../db/schema";
import type { Db } from "../db/client";

export type AuditRow = typeof auditLog.$inferInsert;

/** Appends one audit record. Audit rows are never updated or deleted by the API. */
export async function recordAudit(db: Db, row: AuditRow): Promise<void> {
  await db.insert(auditLog).values(row);
}
