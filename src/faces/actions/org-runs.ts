import { createRoute, z } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { ErrorOut, errorResponses, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { listOrgActions } from "../../services/actions";
import { listPendingApprovals } from "../../services/approvals";
import { eventRuns } from "../../services/events";
import { getOrgRun, listOrgRuns, retryRun, RUN_STATUSES } from "../../services/runs";
import { ActionOut, RunOut, toActionOut, toRunOut } from "./schema";

const tags = ["Runs"];
const Id = z.string().min(1).max(100);
const OrgParams = z.object({ org_id: Id });
const OrgRunParams = OrgParams.extend({ run_id: Id });
const RunDetailOut = z
  .object({
    run: RunOut,
    attempts: z.array(RunOut).openapi({ description: "Every attempt of the run's execution, oldest first" }),
    execution: z.object({ execution_id: z.string(), event_id: z.string().nullable(), pipeline_run_id: z.string().nullable(), trigger_type: z.string(), app_id: z.string(), workspace_id: z.string() }),
  })
  .openapi("RunDetail");
const InboxOut = z
  .object({
    runs: z.array(RunOut.extend({ action_name: z.string().nullable() })),
    gates: z.array(z.object({ pipeline_run_id: z.string(), pipeline_id: z.string(), pipeline_name: z.string().nullable(), current_step: z.number().int(), updated_at: z.string() })),
  })
  .openapi("ApprovalsInbox");

const list = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/runs", tags, summary: "List the org's runs (newest first)",
  request: { params: OrgParams, query: PageQuery.extend({ action_id: z.string().max(100).optional(), status: z.enum(RUN_STATUSES).optional() }) },
  responses: { 200: jsonOk(listOf("runs", RunOut)), ...errorResponses },
});
const get = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/runs/{run_id}", tags, summary: "Get a run with its execution's attempts",
  request: { params: OrgRunParams }, responses: { 200: jsonOk(RunDetailOut), ...errorResponses },
});
const retry = createRoute({
  method: "post", path: "/v1/orgs/{org_id}/runs/{run_id}/retry", tags, summary: "Retry a failed run (runner+)",
  description: "Creates attempt + 1 of the run's execution and queues it. Only the latest attempt of a failed execution, and not a pipeline step (409).",
  request: { params: OrgRunParams },
  responses: { 202: jsonOk(RunOut, "Accepted: the new attempt is queued"), 409: { description: "Not failed, already retried, or a pipeline step", content: { "application/json": { schema: ErrorOut } } }, ...errorResponses },
});
const inbox = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/approvals", tags: ["Approvals"], summary: "Runs and pipeline gates waiting for approval",
  request: { params: OrgParams }, responses: { 200: jsonOk(InboxOut), ...errorResponses },
});

const actionsOfOrg = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/actions", tags: ["Actions"], summary: "List every action of the org (newest first)",
  request: { params: OrgParams, query: PageQuery }, responses: { 200: jsonOk(listOf("actions", ActionOut)), ...errorResponses },
});
const runsOfEvent = createRoute({
  method: "get", path: "/v1/orgs/{org_id}/events/{event_id}/runs", tags: ["Events"], summary: "Runs an event caused (every attempt, oldest first)",
  request: { params: OrgParams.extend({ event_id: Id }) }, responses: { 200: jsonOk(z.object({ runs: z.array(RunOut.extend({ action_name: z.string().nullable() })) })), ...errorResponses },
});

/** Org-wide views: runs (list, one with its attempts, retry), actions, an event's runs, and the approvals inbox. */
export function registerOrgRunRoutes(router: ReturnType<typeof createRouter>): void {
  router.openapi(list, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const page = await listOrgRuns(ctxOf(c), c.req.valid("param").org_id, filter, { limit, cursor });
    return c.json({ total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, runs: page.items.map(toRunOut) }, 200);
  });
  router.openapi(get, async (c) => {
    const p = c.req.valid("param");
    const d = await getOrgRun(ctxOf(c), p.org_id, p.run_id);
    return c.json({ run: toRunOut(d.run), attempts: d.attempts.map(toRunOut), execution: d.execution }, 200);
  });
  router.openapi(retry, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "run.retry", targetType: "run", targetId: p.run_id });
    const next = await retryRun(ctxOf(c), p.org_id, p.run_id);
    c.set("audit", { action: "run.retry", targetType: "run", targetId: p.run_id, details: { new_run_id: next.runId } });
    return c.json(toRunOut(next), 202);
  });
  router.openapi(actionsOfOrg, async (c) => {
    const page = await listOrgActions(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query"));
    return c.json({ total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, actions: page.items.map(toActionOut) }, 200);
  });
  router.openapi(runsOfEvent, async (c) => {
    const p = c.req.valid("param");
    return c.json({ runs: (await eventRuns(ctxOf(c), p.org_id, p.event_id)).map((r) => ({ ...toRunOut(r), action_name: r.action_name })) }, 200);
  });
  router.openapi(inbox, async (c) => {
    const box = await listPendingApprovals(ctxOf(c), c.req.valid("param").org_id);
    return c.json({ runs: box.runs.map((r) => ({ ...toRunOut(r), action_name: r.action_name })), gates: box.gates }, 200);
  });
}
