import { createRoute, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { z } from "@hono/zod-openapi";
import { createEndpoint, deleteEndpoint, disableEndpoint, enableEndpoint, getEndpoint, listEndpoints, updateEndpoint } from "../../services/endpoints";
import { AppParams, conflictResponse, deleted, EndpointIn, EndpointOut, EndpointParams, EndpointPatch } from "./schemas";

const tags = ["Endpoints"];
const base = "/v1/orgs/{org_id}/workspaces/{workspace_id}/apps/{app_id}/endpoints";
const path = `${base}/{endpoint_id}`;

const create = createRoute({
  method: "post", path: base, tags, summary: "Create Endpoint",
  description: 'Send `"secret": "generate"` to have a Standard Webhooks key (`whsec_…`) created; it is returned once, in this response only.',
  request: { params: AppParams, body: jsonBody(EndpointIn) }, responses: { 201: jsonOk(EndpointOut, "Created"), ...errorResponses },
});
const list = createRoute({ method: "get", path: base, tags, summary: "List Endpoints", request: { params: AppParams, query: PageQuery }, responses: { 200: jsonOk(listOf("endpoints", EndpointOut)), ...errorResponses } });
const get = createRoute({ method: "get", path, tags, summary: "Get Endpoint", request: { params: EndpointParams }, responses: { 200: jsonOk(EndpointOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({
    method, path, tags, summary: "Update Endpoint (partial)",
    description: '`"secret": "generate"` rotates the key (returned once); `"secret": null` removes it.',
    request: { params: EndpointParams, body: jsonBody(EndpointPatch) }, responses: { 200: jsonOk(EndpointOut), ...errorResponses },
  });
const del = createRoute({ method: "delete", path, tags, summary: "Delete Endpoint (no action may use it)", request: { params: EndpointParams }, responses: { ...deleted, ...errorResponses, ...conflictResponse("An action still delivers to this endpoint") } });

const disable = createRoute({
  method: "post", path: `${path}/disable`, tags, summary: "Disable Endpoint (hold its runs)",
  description: "Holds every new and retrying run to this endpoint (status `held`, reason `endpoint_disabled`) until it is enabled; emits `endpoint.disabled`. Editor+. Idempotent.",
  request: { params: EndpointParams, body: { required: false, content: { "application/json": { schema: z.object({ reason: z.string().max(500).optional() }).strict() } } } },
  responses: { 200: jsonOk(EndpointOut), ...errorResponses },
});
const enable = createRoute({
  method: "post", path: `${path}/enable`, tags, summary: "Enable Endpoint (close its circuit, drain held runs)",
  description: "Closes the circuit of a disabled or open endpoint, resets its failure streak, emits `endpoint.recovered` and delivers its held runs oldest first. Editor+. Idempotent.",
  request: { params: EndpointParams }, responses: { 200: jsonOk(EndpointOut), ...errorResponses },
});

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const p = c.req.valid("param");
  c.set("audit", { action: "endpoint.update", targetType: "endpoint", targetId: p.endpoint_id });
  return c.json(await updateEndpoint(ctxOf(c), p.org_id, p.workspace_id, p.app_id, p.endpoint_id, c.req.valid("json")), 200);
};

/** Registers the endpoint routes. */
export function registerEndpoints(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "endpoint.create", targetType: "endpoint" });
    const out = await createEndpoint(ctxOf(c), p.org_id, p.workspace_id, p.app_id, c.req.valid("json"));
    c.set("audit", { action: "endpoint.create", targetType: "endpoint", targetId: out.endpoint_id });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const p = c.req.valid("param");
    const { items, ...page } = await listEndpoints(ctxOf(c), p.org_id, p.workspace_id, p.app_id, c.req.valid("query"));
    return c.json({ ...page, endpoints: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getEndpoint(ctxOf(c), p.org_id, p.workspace_id, p.app_id, p.endpoint_id), 200);
  });
  r.openapi(disable, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "endpoint.disable", targetType: "endpoint", targetId: p.endpoint_id });
    const body = (c.req.header("content-type") ?? "").includes("json") ? (c.req.valid("json") ?? {}) : {};
    return c.json(await disableEndpoint(ctxOf(c), p.org_id, p.workspace_id, p.app_id, p.endpoint_id, body.reason), 200);
  });
  r.openapi(enable, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "endpoint.enable", targetType: "endpoint", targetId: p.endpoint_id });
    return c.json(await enableEndpoint(ctxOf(c), p.org_id, p.workspace_id, p.app_id, p.endpoint_id), 200);
  });
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "endpoint.delete", targetType: "endpoint", targetId: p.endpoint_id });
    await deleteEndpoint(ctxOf(c), p.org_id, p.workspace_id, p.app_id, p.endpoint_id);
    return c.body(null, 204);
  });
}
