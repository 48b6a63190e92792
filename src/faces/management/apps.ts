import { createRoute, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createApp, deleteApp, getApp, listApps, updateApp } from "../../services/apps";
import { AppOut, AppParams, conflictResponse, deleted, NameIn, NamePatch, WorkspaceParams } from "./schemas";

const tags = ["Apps"];
const base = "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps";
const path = `${base}/{app_id}`;

const create = createRoute({ method: "post", path: base, tags, summary: "Create App (a project)", request: { params: WorkspaceParams, body: jsonBody(NameIn) }, responses: { 201: jsonOk(AppOut, "Created"), ...errorResponses } });
const list = createRoute({ method: "get", path: base, tags, summary: "List Apps", request: { params: WorkspaceParams, query: PageQuery }, responses: { 200: jsonOk(listOf("apps", AppOut)), ...errorResponses } });
const get = createRoute({ method: "get", path, tags, summary: "Get App", request: { params: AppParams }, responses: { 200: jsonOk(AppOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({ method, path, tags, summary: "Update App (partial)", request: { params: AppParams, body: jsonBody(NamePatch) }, responses: { 200: jsonOk(AppOut), ...errorResponses } });
const del = createRoute({
  method: "delete", path, tags, summary: "Delete App (must have no endpoints, actions, triggers or pipelines)",
  request: { params: AppParams }, responses: { ...deleted, ...errorResponses, ...conflictResponse("App still has endpoints, actions, triggers or pipelines") },
});

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const p = c.req.valid("param");
  c.set("audit", { action: "app.update", targetType: "app", targetId: p.app_id });
  return c.json(await updateApp(ctxOf(c), p.org_id, p.workspace_id, p.app_id, c.req.valid("json")), 200);
};

/** Registers the app routes. */
export function registerApps(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "app.create", targetType: "app" });
    const out = await createApp(ctxOf(c), p.org_id, p.workspace_id, c.req.valid("json"));
    c.set("audit", { action: "app.create", targetType: "app", targetId: out.app_id });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const p = c.req.valid("param");
    const { items, ...page } = await listApps(ctxOf(c), p.org_id, p.workspace_id, c.req.valid("query"));
    return c.json({ ...page, apps: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getApp(ctxOf(c), p.org_id, p.workspace_id, p.app_id), 200);
  });
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "app.delete", targetType: "app", targetId: p.app_id });
    await deleteApp(ctxOf(c), p.org_id, p.workspace_id, p.app_id);
    return c.body(null, 204);
  });
}
