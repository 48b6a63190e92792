import { createRoute, z, type OpenAPIHono, type RouteHandler } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { createApiKey, getApiKey, listApiKeys, revokeApiKey, updateApiKey } from "../../services/api-keys";
import { ApiKeyCreated, ApiKeyIn, ApiKeyOut, ApiKeyPatch, deleted, OrgParams } from "./schemas";

const tags = ["API keys"];
const base = "/v1/orgs/{org_id}/api-keys";
const path = `${base}/{key_id}`;
const KeyParams = OrgParams.extend({ key_id: z.string().min(1).max(100) });

const create = createRoute({
  method: "post", path: base, tags, summary: "Create API Key (admin)",
  description: "The response's `token` is shown once; only its SHA-256 hash is stored. Use it as `Authorization: Bearer <token>`.",
  request: { params: OrgParams, body: jsonBody(ApiKeyIn) }, responses: { 201: jsonOk(ApiKeyCreated, "Created"), ...errorResponses },
});
const list = createRoute({ method: "get", path: base, tags, summary: "List API Keys (admin; revoked ones included)", request: { params: OrgParams, query: PageQuery }, responses: { 200: jsonOk(listOf("api_keys", ApiKeyOut)), ...errorResponses } });
const get = createRoute({ method: "get", path, tags, summary: "Get API Key (admin)", request: { params: KeyParams }, responses: { 200: jsonOk(ApiKeyOut), ...errorResponses } });
const update = (method: "put" | "patch") =>
  createRoute({ method, path, tags, summary: "Update API Key name or role (admin, partial)", request: { params: KeyParams, body: jsonBody(ApiKeyPatch) }, responses: { 200: jsonOk(ApiKeyOut), ...errorResponses } });
const del = createRoute({ method: "delete", path, tags, summary: "Revoke API Key (admin)", description: "Sets `revoked_at`; the key is refused with 401 from then on. Idempotent.", request: { params: KeyParams }, responses: { ...deleted, ...errorResponses } });

const onUpdate: RouteHandler<ReturnType<typeof update>, AppEnv> = async (c) => {
  const p = c.req.valid("param");
  c.set("audit", { action: "api_key.update", targetType: "api_key", targetId: p.key_id });
  return c.json(await updateApiKey(ctxOf(c), p.org_id, p.key_id, c.req.valid("json")), 200);
};

/** Registers the API key routes. */
export function registerApiKeys(r: OpenAPIHono<AppEnv>): void {
  r.openapi(create, async (c) => {
    c.set("audit", { action: "api_key.create", targetType: "api_key" });
    const out = await createApiKey(ctxOf(c), c.req.valid("param").org_id, c.req.valid("json"));
    c.set("audit", { action: "api_key.create", targetType: "api_key", targetId: out.key_id, details: { role: out.role } });
    return c.json(out, 201);
  });
  r.openapi(list, async (c) => {
    const { items, ...page } = await listApiKeys(ctxOf(c), c.req.valid("param").org_id, c.req.valid("query"));
    return c.json({ ...page, api_keys: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getApiKey(ctxOf(c), p.org_id, p.key_id), 200);
  });
  r.openapi(update("put"), onUpdate);
  r.openapi(update("patch"), onUpdate);
  r.openapi(del, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "api_key.revoke", targetType: "api_key", targetId: p.key_id });
    await revokeApiKey(ctxOf(c), p.org_id, p.key_id);
    return c.body(null, 204);
  });
}
