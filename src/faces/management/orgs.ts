import { createRoute, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createOrg, deleteOrg, getOrg, listOrgs, updateOrg } from "../../services/orgs";
import { deleted, NameIn, NamePatch, OrgOut, OrgParams } from "./schemas";

const tags = ["Orgs"];
const path = "/v1/orgs/{org_id}";

const create = createRoute({
  method: "post", path: "/v1/orgs", tags, summary: "Create Org (operator only)",
  request: { body: jsonBody(NameIn) },
  responses: { 201: jsonOk(OrgOut, "Created"), ...errorResponses },
});
const list = createRoute({
  method: "get", path: "/v1/orgs", tags, summary: "List Orgs (all for the operator, your own for an org token)",
  request: { query: PageQuery },
  responses: { 200: jsonOk(listOf("orgs", OrgOut)), ...errorResponses },
});
const get = createRoute({ method: "get", path, tags, summary: "Get Org", request: { params: OrgParams }, responses: { 200: jsonOk(OrgOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({ method, path, tags, summary: "Update Org (partial)", request: { params: OrgParams, body: jsonBody(NamePatch) }, responses: { 200: jsonOk(OrgOut), ...errorResponses } });
const del = createRoute({ method: "delete", path, tags, summary: "Delete Org and everything it owns (operator only)", request: { params: OrgParams }, responses: { ...deleted, ...errorResponses } });

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const { org_id } = c.req.valid("param");
  c.set("audit", { action: "org.update", targetType: "org", targetId: org_id });
  return c.json(await updateOrg(ctxOf(c), org_id, c.req.valid("json")), 200);
};

/** Registers the org routes. */
export function registerOrgs(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    const out = await createOrg(ctxOf(c), c.req.valid("json"));
    c.set("audit", { orgId: out.org_id, action: "org.create", targetType: "org", targetId: out.org_id });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const { items, ...page } = await listOrgs(ctxOf(c), c.req.valid("query"));
    return c.json({ ...page, orgs: items }, 200);
  });
  r.openapi(get, async (c) => c.json(await getOrg(ctxOf(c), c.req.valid("param").org_id), 200));
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const { org_id } = c.req.valid("param");
    c.set("audit", { action: "org.delete", targetType: "org", targetId: org_id });
    await deleteOrg(ctxOf(c), org_id);
    return c.body(null, 204);
  });
}
