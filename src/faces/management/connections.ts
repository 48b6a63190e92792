import { createRoute, z, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createConnection, deleteConnection, getConnection, listConnections, updateConnection } from "../../services/connections";
import { conflictResponse, ConnectionIn, ConnectionOut, ConnectionPatch, deleted, OrgParams } from "./schemas";

const tags = ["Connections"];
const base = "/v1/orgs/{org_id}/connections";
const path = `${base}/{connection_id}`;
const ConnParams = OrgParams.extend({ connection_id: z.string().min(1).max(100) });

const create = createRoute({
  method: "post", path: base, tags, summary: "Create Connection (admin)",
  description: "`secrets` is encrypted at rest and never returned; responses list only `secret_keys` (its key names). Webhook providers read `secrets.signing_secret`.",
  request: { params: OrgParams, body: jsonBody(ConnectionIn) }, responses: { 201: jsonOk(ConnectionOut, "Created"), ...errorResponses },
});
const list = createRoute({ method: "get", path: base, tags, summary: "List Connections", request: { params: OrgParams, query: PageQuery }, responses: { 200: jsonOk(listOf("connections", ConnectionOut)), ...errorResponses } });
const get = createRoute({ method: "get", path, tags, summary: "Get Connection", request: { params: ConnParams }, responses: { 200: jsonOk(ConnectionOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({
    method, path, tags, summary: "Update Connection (admin, partial)", description: "`secrets`, when present, replaces the whole secrets object.",
    request: { params: ConnParams, body: jsonBody(ConnectionPatch) }, responses: { 200: jsonOk(ConnectionOut), ...errorResponses },
  });
const del = createRoute({ method: "delete", path, tags, summary: "Delete Connection (admin; no trigger may use it)", request: { params: ConnParams }, responses: { ...deleted, ...errorResponses, ...conflictResponse("A trigger still uses this connection") } });

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const p = c.req.valid("param");
  c.set("audit", { action: "connection.update", targetType: "connection", targetId: p.connection_id });
  return c.json(await updateConnection(ctxOf(c), p.org_id, p.connection_id, c.req.valid("json")), 200);
};

/** Registers the connection routes. */
export function registerConnections(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    c.set("audit", { action: "connection.create", targetType: "connection" });
    const out = await createConnection(ctxOf(c), c.req.valid("param").org_id, c.req.valid("json"));
    c.set("audit", { action: "connection.create", targetType: "connection", targetId: out.connection_id });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const { items, ...page } = await listConnections(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query"));
    return c.json({ ...page, connections: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getConnection(ctxOf(c), p.org_id, p.connection_id), 200);
  });
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "connection.delete", targetType: "connection", targetId: p.connection_id });
    await deleteConnection(ctxOf(c), p.org_id, p.connection_id);
    return c.body(null, 204);
  });
}
