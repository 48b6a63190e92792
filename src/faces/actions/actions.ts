import { createRoute, z } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createAction, deleteAction, getAction, listActions, setActionEnabled, updateAction, type AppScope } from "../../services/actions";
import { ActionIn, ActionOut, ActionParams, ActionPatch, AppParams, toActionOut } from "./schema";

const BASE = "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/actions";
const tags = ["Actions"];
const scope = (p: { org_id: string; workspace_id: string; app_id: string }): AppScope => ({ orgId: p.org_id, workspaceId: p.workspace_id, appId: p.app_id });

const ListQuery = PageQuery.extend({ search: z.string().max(200).optional().openapi({ description: "Search by name or description" }) });

const list = createRoute({
  method: "get", path: BASE, tags, summary: "List Actions",
  request: { params: AppParams, query: ListQuery },
  responses: { 200: jsonOk(listOf("actions", ActionOut)), ...errorResponses },
});
const create = createRoute({
  method: "post", path: BASE, tags, summary: "Create Action",
  request: { params: AppParams, body: jsonBody(ActionIn) },
  responses: { 201: jsonOk(ActionOut, "Created"), ...errorResponses },
});
const get = createRoute({
  method: "get", path: `${BASE}/{action_id}`, tags, summary: "Get Action",
  request: { params: ActionParams },
  responses: { 200: jsonOk(ActionOut), ...errorResponses },
});
const update = createRoute({
  method: "put", path: `${BASE}/{action_id}`, tags, summary: "Update Action",
  description: "Partial update: only the fields present change.",
  request: { params: ActionParams, body: jsonBody(ActionPatch) },
  responses: { 200: jsonOk(ActionOut), ...errorResponses },
});
const remove = createRoute({
  method: "delete", path: `${BASE}/{action_id}`, tags, summary: "Delete Action",
  request: { params: ActionParams },
  responses: { 204: { description: "Deleted (empty body)" }, ...errorResponses },
});
const enable = createRoute({
  method: "post", path: `${BASE}/{action_id}/enable`, tags, summary: "Enable Action",
  request: { params: ActionParams },
  responses: { 200: jsonOk(ActionOut), ...errorResponses },
});
const disable = createRoute({
  method: "post", path: `${BASE}/{action_id}/disable`, tags, summary: "Disable Action",
  request: { params: ActionParams },
  responses: { 200: jsonOk(ActionOut), ...errorResponses },
});

/** Registers the action CRUD, enable and disable routes of the actions document. */
export function registerActionRoutes(router: ReturnType<typeof createRouter>): void {
  router.openapi(list, async (c) => {
    const p = c.req.valid("param");
    const q = c.req.valid("query");
    const page = await listActions(ctxOf(c), scope(p), q);
    return c.json({ total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, actions: page.items.map(toActionOut) }, 200);
  });
  router.openapi(create, async (c) => {
    const p = c.req.valid("param");
    const row = await createAction(ctxOf(c), scope(p), c.req.valid("json"));
    c.set("audit", { action: "action.create", targetType: "action", targetId: row.actionId });
    return c.json(toActionOut(row), 201);
  });
  router.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(toActionOut(await getAction(ctxOf(c), scope(p), p.action_id)), 200);
  });
  router.openapi(update, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "action.update", targetType: "action", targetId: p.action_id });
    return c.json(toActionOut(await updateAction(ctxOf(c), scope(p), p.action_id, c.req.valid("json"))), 200);
  });
  router.openapi(remove, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "action.delete", targetType: "action", targetId: p.action_id });
    await deleteAction(ctxOf(c), scope(p), p.action_id);
    return c.body(null, 204);
  });
  router.openapi(enable, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "action.enable", targetType: "action", targetId: p.action_id });
    return c.json(toActionOut(await setActionEnabled(ctxOf(c), scope(p), p.action_id, true)), 200);
  });
  router.openapi(disable, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "action.disable", targetType: "action", targetId: p.action_id });
    return c.json(toActionOut(await setActionEnabled(ctxOf(c), scope(p), p.action_id, false)), 200);
  });
}
