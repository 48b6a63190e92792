import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { MAX_RETENTION_DAYS } from "../../core/retention";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk } from "../../http/schemas";
import { getRetention, setRetention } from "../../services/retention-settings";
import { OrgParams } from "./schemas";

const tags = ["Retention"];
const path = "/v1/orgs/{org_id}/retention";

/** Purge counters of one org; also part of the metrics response. */
export const PurgedOut = z
  .object({
    events: z.number().int().openapi({ description: "Events deleted by retention" }),
    executions: z.number().int().openapi({ description: "Executions deleted by retention" }),
    runs: z.number().int().openapi({ description: "Runs (attempts) deleted by retention" }),
    bodies: z.number().int().openapi({ description: "Large event bodies dropped early (the event's metadata stays)" }),
    last_purge_at: z.string().nullable().openapi({ description: "When the cron last ran a retention pass for this org" }),
  })
  .openapi("Purged");
const RetentionOut = z
  .object({
    org_id: z.string(),
    retention_days: z.number().int().openapi({ description: "Days final events, executions and runs are kept: the override, else the default" }),
    override_days: z.number().int().nullable().openapi({ description: "The org's own value; null follows EVENT_RETENTION_DAYS" }),
    default_days: z.number().int().openapi({ description: "EVENT_RETENTION_DAYS of the deployment. Default: 30" }),
    large_body_retention_days: z.number().int().openapi({ description: "Days a large body is kept (LARGE_BODY_RETENTION_DAYS, at most retention_days). Default: 7" }),
    large_body_bytes: z.number().int().openapi({ description: "Bodies over this many bytes are large (LARGE_BODY_BYTES). Default: 65536" }),
    purged: PurgedOut,
  })
  .openapi("Retention");
const RetentionIn = z
  .object({
    retention_days: z.number().int().min(0).max(MAX_RETENTION_DAYS).nullable().openapi({
      description: `Days to keep final records, 0–${MAX_RETENTION_DAYS}; 0 purges every final record at the next cron; null returns to the default`,
    }),
  })
  .openapi("RetentionIn");

const get = createRoute({
  method: "get", path, tags, summary: "Get the org's retention and what was purged",
  description: "Viewer role or higher.", request: { params: OrgParams }, responses: { 200: jsonOk(RetentionOut), ...errorResponses },
});
const put = createRoute({
  method: "put", path, tags, summary: "Set the org's retention override (admin)",
  description: "Takes effect at the next minute cron. Records that are not final (pending, running, held, awaiting approval) are never purged.",
  request: { params: OrgParams, body: jsonBody(RetentionIn) }, responses: { 200: jsonOk(RetentionOut), ...errorResponses },
});

/** Registers the retention routes. */
export function registerRetention(r: OpenAPIHono<AppEnv>): void {
  r.openapi(get, async (c) => c.json(await getRetention(ctxOf(c), c.req.valid("param").org_id), 200));
  r.openapi(put, async (c) => {
    const { org_id } = c.req.valid("param");
    c.set("audit", { action: "org.retention.update", targetType: "org", targetId: org_id });
    return c.json(await setRetention(ctxOf(c), org_id, c.req.valid("json")), 200);
  });
}
