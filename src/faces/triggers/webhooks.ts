import { createRoute, z } from "@hono/zod-openapi";
import { getDb } from "../../db/client";
import type { createRouter } from "../../http/router";
import { ErrorOut, errorResponses, jsonOk } from "../../http/schemas";
import { ingestWebhook } from "../../services/ingest";
import { inboundOf, toResponse } from "./inbound";
import { EventAck } from "./schemas";

const err = (description: string) => ({ description, content: { "application/json": { schema: ErrorOut } } });

/** `POST /v1/webhooks/{webhook_id}` — provider webhook ingestion (no bearer token: the signature or the URL authenticates). */
export function registerWebhookRoutes(r: ReturnType<typeof createRouter>) {
  // Declared for the OpenAPI document; served by a plain handler because the body is read raw
  // (no validator may consume or parse it before the signature is checked).
  r.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/v1/webhooks/{webhook_id}",
      tags: ["Triggers"],
      summary: "Webhook Handler",
      description:
        "Handle webhook requests for all incoming webhook events. Any content type is accepted; the raw body is verified with the provider's scheme, deduplicated, stored, then routed asynchronously. Handshakes (Slack url_verification, GitHub ping, Microsoft Graph validationToken) are answered in the provider's expected form.",
      security: [],
      request: {
        params: z.object({
          webhook_id: z.string().openapi({ param: { name: "webhook_id", in: "path" }, example: "slack", description: "Webhook identifier - either an app webhook provider (e.g., 'slack', 'github') or a project trigger UUID" }),
        }),
      },
      responses: {
        200: jsonOk(EventAck, "Stored (or a duplicate of a stored delivery), or a handshake answer"),
        401: err("Signature missing, invalid or outside the timestamp window (type invalid_signature)"),
        404: errorResponses[404],
        409: err("Trigger disabled (type trigger_disabled); nothing stored, the provider should retry"),
        413: err("Body larger than MAX_BODY_BYTES"),
        422: err("Provider needs a JSON body (type json_invalid)"),
      },
    }),
  );
  r.post("/v1/webhooks/:webhook_id", async (c) => {
    const req = await inboundOf(c);
    return toResponse(await ingestWebhook(c.env, getDb(c.env.DB), c.req.param("webhook_id"), req, new Date()));
  });
}
