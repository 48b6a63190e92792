import { createRoute, z } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { ErrorOut, errorResponses, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { triggerAction, type AppScope } from "../../services/actions";
import { getRun, listRuns, RUN_STATUSES } from "../../services/runs";
import { ActionParams, RunOut, RunParams, toRunOut, TriggerIn, TriggerOut } from "./schema";

const BASE = "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/actions/{action_id}";
const tags = ["Actions"];
const scope = (p: { org_id: string; workspace_id: string; app_id: string }): AppScope => ({ orgId: p.org_id, workspaceId: p.workspace_id, appId: p.app_id });

const trigger = createRoute({
  method: "post", path: `${BASE}/trigger`, tags, summary: "Trigger Action",
  description: "Starts one execution now. Body optional: {inputs?, target?, thread_id?}. Runner role or higher.",
  request: { params: ActionParams, body: { required: false, content: { "application/json": { schema: TriggerIn } } } },
  responses: { 200: jsonOk(TriggerOut), 409: { description: "Action is disabled", content: { "application/json": { schema: ErrorOut } } }, ...errorResponses },
});
const listRunsRoute = createRoute({
  method: "get", path: `${BASE}/runs`, tags, summary: "List Action Runs",
  request: { params: ActionParams, query: PageQuery.extend({ status: z.enum(RUN_STATUSES).optional().openapi({ description: "Filter by status" }) }) },
  responses: { 200: jsonOk(listOf("runs", RunOut)), ...errorResponses },
});
const getRunRoute = createRoute({
  method: "get", path: `${BASE}/runs/{run_id}`, tags, summary: "Get Action Run",
  request: { params: RunParams },
  responses: { 200: jsonOk(RunOut), ...errorResponses },
});

const MESSAGES = { pending: "Action triggered; the run is queued for delivery", pending_approval: "Action triggered; the run is waiting for approval" } as const;

/** Registers trigger and the runs routes of the actions document. */
export function registerRunRoutes(router: ReturnType<typeof createRouter>): void {
  router.openapi(trigger, async (c) => {
    const p = c.req.valid("param");
    const body = (c.req.valid("json") as z.infer<typeof TriggerIn> | undefined) ?? {};
    const started = await triggerAction(ctxOf(c), scope(p), p.action_id, body);
    c.set("audit", { action: "action.trigger", targetType: "action", targetId: p.action_id, details: { run_id: started.run_id, execution_id: started.execution_id } });
    return c.json({ ...started, message: MESSAGES[started.status] }, 200);
  });
  router.openapi(listRunsRoute, async (c) => {
    const p = c.req.valid("param");
    const page = await listRuns(ctxOf(c), scope(p), p.action_id, c.req.valid("query"));
    return c.json({ total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, runs: page.items.map(toRunOut) }, 200);
  });
  router.openapi(getRunRoute, async (c) => {
    const p = c.req.valid("param");
    return c.json(toRunOut(await getRun(ctxOf(c), scope(p), p.action_id, p.run_id)), 200);
  });
}
