import { createRoute, z } from "@hono/zod-openapi";
import { notFound } from "../../core/errors";
import { errorResponses, jsonOk } from "../../http/schemas";
import type { createRouter } from "../../http/router";
import { getProviderTrigger, listProviderTriggers } from "../../providers/catalog";
import { CatalogTriggerOut } from "./schemas";

const ProviderParam = z.object({ provider_id: z.string().openapi({ param: { name: "provider_id", in: "path" }, example: "stripe" }) });

/** `GET /providers/{provider_id}/triggers[/{trigger_id}]` — the public provider catalog (no token). */
export function registerProviderRoutes(r: ReturnType<typeof createRouter>) {
  r.openapi(
    createRoute({
      method: "get",
      path: "/providers/{provider_id}/triggers",
      tags: ["Triggers"],
      summary: "Get Available Triggers By Provider",
      security: [],
      request: { params: ProviderParam },
      responses: { 200: jsonOk(z.array(CatalogTriggerOut)), 404: errorResponses[404] },
    }),
    (c) => {
      const list = listProviderTriggers(c.req.valid("param").provider_id);
      if (!list) throw notFound("provider", ["path", "provider_id"]);
      return c.json(list, 200);
    },
  );
  r.openapi(
    createRoute({
      method: "get",
      path: "/providers/{provider_id}/triggers/{trigger_id}",
      tags: ["Triggers"],
      summary: "Get Specific Trigger From Provider",
      security: [],
      request: { params: ProviderParam.extend({ trigger_id: z.string().openapi({ param: { name: "trigger_id", in: "path" }, example: "on_any_event" }) }) },
      responses: { 200: jsonOk(CatalogTriggerOut), 404: errorResponses[404] },
    }),
    (c) => {
      const { provider_id, trigger_id } = c.req.valid("param");
      if (!listProviderTriggers(provider_id)) throw notFound("provider", ["path", "provider_id"]);
      const t = getProviderTrigger(provider_id, trigger_id);
      if (!t) throw notFound("trigger", ["path", "trigger_id"]);
      return c.json(t, 200);
    },
  );
}
