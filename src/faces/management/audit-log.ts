import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { listAudit } from "../../services/audit-query";
import { OrgParams } from "./schemas";

const AuditEntry = z
  .object({
    audit_id: z.string(), org_id: z.string(),
    actor_type: z.string().openapi({ description: "superuser | api_key | user" }), actor_id: z.string(),
    action: z.string().openapi({ example: "endpoint.create" }), target_type: z.string(), target_id: z.string().nullable(),
    result: z.enum(["success", "failure"]).or(z.string()), status_code: z.number().int().nullable(), request_id: z.string().nullable(),
    details: z.unknown(), created_at: z.string(),
  })
  .openapi("AuditEntry");
const AuditQuery = PageQuery.extend({
  action: z.string().optional().openapi({ description: "Exact action, e.g. api_key.revoke" }),
  actor_id: z.string().optional(),
  target_id: z.string().optional(),
});

const list = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/audit-log", tags: ["Audit log"], summary: "List Audit Log (viewer+, newest first)",
  request: { params: OrgParams, query: AuditQuery }, responses: { 200: jsonOk(listOf("entries", AuditEntry)), ...errorResponses },
});

/** Registers the audit log route. */
export function registerAuditLog(r: OpenAPIHono<AppEnv>): void {
  r.openapi(list, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const { items, ...page } = await listAudit(ctxOf(c), c.req.valid("param").org_id, filter, { limit, cursor });
    return c.json({ ...page, entries: items }, 200);
  });
}
