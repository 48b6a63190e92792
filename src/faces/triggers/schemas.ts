import { z } from "@hono/zod-openapi";

const Json = z.record(z.string(), z.unknown());

/** The stored metadata of a Trigger (seed 001), exactly the documented fields. */
export const TriggerOut = z
  .object({
    project_trigger_id: z.uuid(),
    project_id: z.string(),
    connection_id: z.uuid().nullable(),
    provider_id: z.string().openapi({ example: "stripe" }),
    trigger_id: z.string().openapi({ example: "on_customer_created" }),
    webhook_data: Json.nullable().openapi({ description: "Webhook triggers: {webhook_url, route_key?, …}" }),
    cursor_data: Json.nullable(),
    trigger_config: Json.nullable(),
    status: z.enum(["ENABLED", "DISABLED"]).default("DISABLED"),
    created_at: z.string(),
    updated_at: z.string(),
    created_by: z.string(),
    updated_by: z.string().nullable(),
  })
  .openapi("Trigger");

/** A trigger of the caller's org with its project's name. */
export const OrgTriggerOut = TriggerOut.extend({ project_name: z.string().nullable() }).openapi("TriggerFromUserOrg");

/** Create body: the documented fields plus optional trigger_config, webhook_data and route_key. */
export const TriggerIn = z
  .object({
    provider_id: z.string().min(1),
    trigger_id: z.string().min(1),
    connection_id: z.uuid().nullable().optional(),
    trigger_config: Json.nullable().optional().openapi({
      description: "http/poll {url, items_path, id_field, polling_frequency}; rss/poll {url, polling_frequency}; schedule/cron {cron, timezone}; webhook {signature_header, algorithm, encoding, prefix}",
    }),
    webhook_data: Json.nullable().optional(),
    route_key: z
      .string()
      .min(1)
      .max(255)
      .nullable()
      .optional()
      .openapi({ description: "The provider's own id used to route POST /v1/webhooks/{provider_id} (Slack team_id, GitHub installation id or repo full_name, Stripe account, Shopify shop domain, Typeform form_id, Graph subscriptionId). Unset: accepts any delivery whose signature verifies." }),
  })
  .openapi("TriggerIn");

/** One catalog entry (`GET /providers/{provider_id}/triggers`). */
export const CatalogTriggerOut = z
  .object({
    trigger_type: z.enum(["webhook", "polling", "scheduled"]),
    provider_id: z.string(),
    trigger_id: z.string(),
    trigger_name: z.string(),
    description: z.string(),
    instructions: z.string().nullable(),
    icon: z.string(),
    tags: z.array(z.string()).nullable().default([]),
    version: z.string().default("1.0.0"),
    webhook_requires_verification: z.boolean().default(false),
    can_get_test_samples: z.boolean(),
  })
  .openapi("ProviderTrigger");

export const TriggerIdParam = z.object({ project_trigger_id: z.uuid().openapi({ param: { name: "project_trigger_id", in: "path" } }) });
export const ProjectParam = z.object({ project_id: z.string().min(1).openapi({ param: { name: "project_id", in: "path" } }) });

/**
 * `{event_id, duplicate}` — the acknowledgement of a stored (or deduplicated) delivery. A
 * provider-routed delivery also lists every event it created in `events`; it names no trigger
 * (a trigger's id is the secret of an unsigned trigger, and the caller proved only a signature).
 */
export const EventAck = z
  .object({
    event_id: z.string(),
    duplicate: z.boolean(),
    events: z
      .array(z.object({ event_id: z.string(), duplicate: z.boolean() }))
      .optional()
      .openapi({ description: "POST /v1/webhooks/{provider_id} only: one entry per trigger whose secret verified the delivery" }),
  })
  .openapi("EventAck");
