import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonOk } from "../../http/schemas";
import { BUCKETS, endpointHealth, MAX_BUCKETS, orgMetrics } from "../../services/metrics";
import { PurgedOut } from "./retention";
import { OrgParams } from "./schemas";

const tags = ["Metrics"];
const WindowQuery = z.object({
  since: z.string().max(64).optional().openapi({ description: "Start of the window, ISO-8601 (inclusive; aligned down to the bucket). Default: 24 hours before `until`" }),
  until: z.string().max(64).optional().openapi({ description: "End of the window, ISO-8601 (exclusive). Default: now" }),
  bucket: z
    .enum(Object.keys(BUCKETS) as [keyof typeof BUCKETS, ...(keyof typeof BUCKETS)[]])
    .optional()
    .openapi({ description: `Bucket width. Default: 1h. At most ${MAX_BUCKETS} buckets per window` }),
});
const Counts = z.record(z.string(), z.number().int()).openapi({ description: "Count by status; statuses with no rows are absent" });
const MetricsOut = z
  .object({
    since: z.string(), until: z.string(), bucket: z.string(),
    buckets: z.array(z.object({ start: z.string(), events: Counts, runs: Counts })),
    totals: z.object({ events: Counts, runs: Counts }),
    purged: PurgedOut.openapi({ description: "What retention purged in this org so far (all time)" }),
  })
  .openapi("Metrics");
const EndpointHealthOut = z
  .object({
    endpoint_id: z.string(), app_id: z.string(), name: z.string(), url: z.string(), attempts: z.number().int(), succeeded: z.number().int(), failed: z.number().int(),
    success_rate: z.number().nullable(), avg_latency_ms: z.number().nullable(), last_status: z.number().int().nullable(), last_at: z.string().nullable(), last_error: z.string().nullable(), last_error_at: z.string().nullable(),
    workspace_id: z.string(),
    circuit_state: z.enum(["closed", "open", "half_open", "disabled"]).openapi({ description: "The endpoint's circuit now" }),
    circuit_reason: z.string().nullable(),
    consecutive_failures: z.number().int(),
    held_runs: z.number().int().openapi({ description: "Runs held on this endpoint now (circuit open, disabled, FIFO)" }),
  })
  .openapi("EndpointHealth");

const metrics = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/metrics", tags, summary: "Event and run counts per time bucket",
  description: "Events by status (bucketed by received_at) and runs by status (bucketed by triggered_at) in [since, until). Viewer role or higher.",
  request: { params: OrgParams, query: WindowQuery }, responses: { 200: jsonOk(MetricsOut), ...errorResponses },
});
const health = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/endpoint-health", tags, summary: "Delivery health per endpoint",
  description: "Final attempts triggered in [since, until) per endpoint: success rate, mean latency, the latest status and error. Most failures first. Viewer role or higher.",
  request: { params: OrgParams, query: WindowQuery }, responses: { 200: jsonOk(z.object({ endpoints: z.array(EndpointHealthOut) })), ...errorResponses },
});

/** Registers the metrics and endpoint health routes. */
export function registerMetrics(r: OpenAPIHono<AppEnv>): void {
  r.openapi(metrics, async (c) => c.json(await orgMetrics(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query")), 200));
  r.openapi(health, async (c) => c.json({ endpoints: await endpointHealth(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query")) }, 200));
}
