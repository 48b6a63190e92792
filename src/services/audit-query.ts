import { eq, type SQL } from "drizzle-orm";
import type { Ctx } from "../core/context";
import type { Page } from "../core/pagination";
import { auditLog } from "../db/schema";
import { inOrg } from "../db/scope";
import { openOrg } from "./orgs";
import { pageOf, type PageIn } from "./paging";

/** One audit record: who did what to which target, with which result, when. */
export interface AuditEntryOut {
  audit_id: string;
  org_id: string;
  actor_type: string;
  actor_id: string;
  action: string;
  target_type: string;
  target_id: string | null;
  result: string;
  status_code: number | null;
  request_id: string | null;
  details: unknown;
  created_at: string;
}

export interface AuditFilter {
  action?: string;
  actor_id?: string;
  target_id?: string;
}

type Row = typeof auditLog.$inferSelect;
const out = (r: Row): AuditEntryOut => ({
  audit_id: r.auditId, org_id: r.orgId, actor_type: r.actorType, actor_id: r.actorId, action: r.action, target_type: r.targetType,
  target_id: r.targetId ?? null, result: r.result, status_code: r.statusCode ?? null, request_id: r.requestId ?? null,
  details: r.details ?? null, created_at: r.createdAt,
});

/** Lists the org's audit records newest first (viewer+), filtered by exact action, actor and target. */
export async function listAudit(ctx: Ctx, orgId: string, filter: AuditFilter, page: PageIn): Promise<Page<AuditEntryOut>> {
  await openOrg(ctx, orgId, "viewer");
  const conds: (SQL | undefined)[] = [
    filter.action ? eq(auditLog.action, filter.action) : undefined,
    filter.actor_id ? eq(auditLog.actorId, filter.actor_id) : undefined,
    filter.target_id ? eq(auditLog.targetId, filter.target_id) : undefined,
  ];
  return pageOf(ctx.db, auditLog, auditLog.auditId, inOrg(auditLog, orgId, ...conds), page, out);
}
