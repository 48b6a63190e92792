import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonBody, jsonOk } from "../../http/schemas";
import { getOperationalSettings, setOperationalSettings } from "../../services/operational";
import { OrgParams } from "./schemas";

const tags = ["Endpoints"];
const path = "/v1/orgs/{org_id}/operational-endpoint";

const Out = z
  .object({
    org_id: z.string(),
    endpoint_id: z.string().nullable().openapi({ description: "The endpoint that receives `endpoint.disabled` and `endpoint.recovered`, signed with Standard Webhooks; null: the events are stored only" }),
  })
  .openapi("OperationalEndpoint");
const In = z.object({ endpoint_id: z.string().min(1).max(100).nullable() }).strict().openapi("OperationalEndpointIn");

const get = createRoute({
  method: "get", path, tags, summary: "Get the org's operational endpoint",
  description: "Viewer role or higher.", request: { params: OrgParams }, responses: { 200: jsonOk(Out), ...errorResponses },
});
const put = createRoute({
  method: "put", path, tags, summary: "Set the org's operational endpoint (admin)",
  description: "Operational events (`endpoint.disabled`, `endpoint.recovered`) are stored as events of trigger `switchyard:operational` and delivered to this endpoint. It must be one of the org's endpoints.",
  request: { params: OrgParams, body: jsonBody(In) }, responses: { 200: jsonOk(Out), ...errorResponses },
});

/** Registers the operational endpoint setting. */
export function registerOperational(r: OpenAPIHono<AppEnv>): void {
  r.openapi(get, async (c) => c.json(await getOperationalSettings(ctxOf(c), c.req.valid("param").org_id), 200));
  r.openapi(put, async (c) => {
    const { org_id } = c.req.valid("param");
    c.set("audit", { action: "org.operational_endpoint.update", targetType: "org", targetId: org_id });
    return c.json(await setOperationalSettings(ctxOf(c), org_id, c.req.valid("json").endpoint_id), 200);
  });
}
