import { createRoute, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createWorkspace, deleteWorkspace, getWorkspace, listWorkspaces, updateWorkspace } from "../../services/workspaces";
import { conflictResponse, deleted, NameIn, NamePatch, OrgParams, WorkspaceOut, WorkspaceParams } from "./schemas";

const tags = ["Workspaces"];
const base = "/v1/orgs/{org_id}/workspaces";
const path = `${base}/{workspace_id}`;

const create = createRoute({ method: "post", path: base, tags, summary: "Create Workspace", request: { params: OrgParams, body: jsonBody(NameIn) }, responses: { 201: jsonOk(WorkspaceOut, "Created"), ...errorResponses } });
const list = createRoute({ method: "get", path: base, tags, summary: "List Workspaces", request: { params: OrgParams, query: PageQuery }, responses: { 200: jsonOk(listOf("workspaces", WorkspaceOut)), ...errorResponses } });
const get = createRoute({ method: "get", path, tags, summary: "Get Workspace", request: { params: WorkspaceParams }, responses: { 200: jsonOk(WorkspaceOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({ method, path, tags, summary: "Update Workspace (partial)", request: { params: WorkspaceParams, body: jsonBody(NamePatch) }, responses: { 200: jsonOk(WorkspaceOut), ...errorResponses } });
const del = createRoute({ method: "delete", path, tags, summary: "Delete Workspace (must have no apps)", request: { params: WorkspaceParams }, responses: { ...deleted, ...errorResponses, ...conflictResponse("Workspace still has apps") } });

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const p = c.req.valid("param");
  c.set("audit", { action: "workspace.update", targetType: "workspace", targetId: p.workspace_id });
  return c.json(await updateWorkspace(ctxOf(c), p.org_id, p.workspace_id, c.req.valid("json")), 200);
};

/** Registers the workspace routes. */
export function registerWorkspaces(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    c.set("audit", { action: "workspace.create", targetType: "workspace" });
    const out = await createWorkspace(ctxOf(c), c.req.valid("param").org_id, c.req.valid("json"));
    c.set("audit", { action: "workspace.create", targetType: "workspace", targetId: out.workspace_id });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const { items, ...page } = await listWorkspaces(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query"));
    return c.json({ ...page, workspaces: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getWorkspace(ctxOf(c), p.org_id, p.workspace_id), 200);
  });
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "workspace.delete", targetType: "workspace", targetId: p.workspace_id });
    await deleteWorkspace(ctxOf(c), p.org_id, p.workspace_id);
    return c.body(null, 204);
  });
}
