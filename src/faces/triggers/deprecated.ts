import { createRoute, z } from "@hono/zod-openapi";
import { eq } from "drizzle-orm";
import { ROLES } from "../../core/actor";
import { AppError, forbidden, invalid, notFound, unauthorized } from "../../core/errors";
import { getDb } from "../../db/client";
import { triggers } from "../../db/schema";
import { inOrg } from "../../db/scope";
import { zodIssuesToItems } from "../../http/errors";
import type { Context } from "hono";
import type { AppEnv, createRouter } from "../../http/router";
import { ErrorOut, errorResponses, jsonOk } from "../../http/schemas";
import type { Task } from "../../queue/messages";
import { ingestTrusted } from "../../services/ingest";
import { actorFromApiKey } from "../../services/tokens";
import { inboundOf, toResponse } from "./inbound";
import { EventAck } from "./schemas";

type R = ReturnType<typeof createRouter>;
type Ctx = Context<AppEnv>;

const Params = z.object({
  org_id: z.string().openapi({ param: { name: "org_id", in: "path" } }),
  project_trigger_id: z.uuid().openapi({ param: { name: "project_trigger_id", in: "path" } }),
  api_key: z.string().openapi({ param: { name: "api_key", in: "path" } }),
});
const errs = {
  401: errorResponses[401],
  403: errorResponses[403],
  404: errorResponses[404],
  409: { description: "Trigger disabled (type trigger_disabled)", content: { "application/json": { schema: ErrorOut } } },
  422: errorResponses[422],
};

/**
 * Authenticates the API key in the path (runner+ of exactly `org_id`; anything else 401/403),
 * records the actor for the audit log and loads the trigger of that org (404 otherwise).
 */
async function authorize(c: Ctx, p: z.infer<typeof Params>) {
  const db = getDb(c.env.DB);
  const actor = await actorFromApiKey(db, p.api_key);
  if (!actor || actor.orgId !== p.org_id) throw unauthorized("the API key in the path is invalid, revoked or not a key of this org");
  c.set("actor", actor);
  const row = (await db.select().from(triggers).where(inOrg(triggers, p.org_id, eq(triggers.projectTriggerId, p.project_trigger_id))).limit(1))[0];
  if (!row) throw notFound("trigger", ["path", "project_trigger_id"]);
  if (ROLES.indexOf(actor.role) < ROLES.indexOf("runner")) throw forbidden(`role '${actor.role}' cannot run triggers; it needs 'runner' or higher`);
  c.set("audit", { orgId: p.org_id, targetType: "trigger", targetId: row.projectTriggerId });
  return { db, row };
}

/** Validates path or query parts of a plain-handler route with the route's own schema (422 on failure). */
function parseOr422<T extends z.ZodTypeAny>(schema: T, value: unknown, where: "path" | "query"): z.infer<T> {
  const r = schema.safeParse(value);
  if (r.success) return r.data;
  throw new AppError("validation_error", "invalid request", zodIssuesToItems(r.error.issues, where === "path" ? "param" : "query"));
}

async function send(c: Ctx, task: Task): Promise<void> {
  try {
    await c.env.TASKS.send(task);
  } catch (e) {
    console.error(JSON.stringify({ level: "error", msg: "enqueue failed", task, error: String(e) }));
    throw new AppError("unavailable", "the work queue is unavailable; retry the call");
  }
}

/** The three deprecated `/organizations/{org_id}/triggers/{id}/{webhook,polling,scheduled}/key/{api_key}` endpoints. */
export function registerDeprecatedRoutes(r: R) {
  const Query = z.object({ trigger_id: z.string().nullable().optional(), provider_id: z.string().nullable().optional() });
  // Documented with createRoute; served by a plain handler so the raw body reaches ingestion unparsed.
  r.openAPIRegistry.registerPath(
    createRoute({
      method: "post",
      path: "/organizations/{org_id}/triggers/{project_trigger_id}/webhook/key/{api_key}",
      tags: ["Triggers"],
      summary: "Webhook Trigger",
      deprecated: true,
      security: [],
      description: "Stores the body as an event of the trigger, exactly like /v1/webhooks ingestion but authenticated by the API key (runner+) instead of a provider signature.",
      request: { params: Params, query: Query },
      responses: { 200: jsonOk(EventAck), ...errs },
    }),
  );
  r.post("/organizations/:org_id/triggers/:project_trigger_id/webhook/key/:api_key", async (c) => {
    const p = parseOr422(Params, c.req.param(), "path");
    const q = parseOr422(Query, c.req.query(), "query");
    const { db, row } = await authorize(c, p);
    if (q.provider_id && q.provider_id !== row.providerId) throw invalid(["query", "provider_id"], `trigger's provider is '${row.providerId}'`, q.provider_id);
    if (q.trigger_id && q.trigger_id !== row.triggerId) throw invalid(["query", "trigger_id"], `trigger's trigger_id is '${row.triggerId}'`, q.trigger_id);
    return toResponse(await ingestTrusted(c.env, db, row, await inboundOf(c), new Date()));
  });

  for (const kind of ["polling", "scheduled"] as const) {
    r.openapi(
      createRoute({
        method: "post",
        path: `/organizations/{org_id}/triggers/{project_trigger_id}/${kind}/key/{api_key}`,
        tags: ["Triggers"],
        summary: kind === "polling" ? "Polling Trigger" : "Scheduled Trigger",
        deprecated: true,
        security: [],
        description: kind === "polling" ? "Queues one poll of the polling trigger now." : "Queues one tick of the scheduled trigger now.",
        request: { params: Params },
        responses: { 202: jsonOk(z.object({ queued: z.literal(true) }), "Queued"), ...errs },
      }),
      async (c) => {
        const { row } = await authorize(c, c.req.valid("param"));
        if (row.triggerType !== kind) throw invalid(["path", "project_trigger_id"], `trigger is a ${row.triggerType} trigger, not a ${kind} trigger`, row.projectTriggerId);
        if (row.status !== "ENABLED") {
          const msg = `trigger ${row.projectTriggerId} is disabled; enable it first`;
          throw new AppError("trigger_disabled", msg, [{ loc: [], msg, type: "trigger_disabled" }]);
        }
        await send(
          c,
          kind === "polling"
            ? { v: 1, kind: "trigger.poll", project_trigger_id: row.projectTriggerId }
            : { v: 1, kind: "trigger.tick", project_trigger_id: row.projectTriggerId, due_at: new Date().toISOString() },
        );
        return c.json({ queued: true as const }, 202);
      },
    );
  }
}
