import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { AppEnv } from "../../http/router";
import { errorResponses, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { listForwards, recordForward } from "../../services/event-forwards";
import { getEvent, listEvents, replayEvent } from "../../services/events";
import { OrgParams } from "./schemas";

const tags = ["Events"];
const base = "/v1/orgs/{org_id}/events";
const EventParams = OrgParams.extend({ event_id: z.string().min(1).max(100) });
export const Status = z
  .enum(["received", "routed", "unmatched", "failed"])
  .openapi({ description: "received → routed (matched ≥1 action) | unmatched | failed (routing gave up; `route_error` says why, replay retries it)" });

export const EventSummary = z
  .object({
    event_id: z.string(), project_trigger_id: z.string(), app_id: z.string(), provider_id: z.string(), event_type: z.string().nullable(),
    status: Status, matched_actions: z.array(z.string()), replay_of: z.string().nullable(), received_at: z.string(),
    route_error: z.string().nullable().openapi({ description: "Why routing last failed (dead-lettered or given up), else null" }),
  })
  .openapi("EventSummary");
export const EventOut = EventSummary.extend({
  headers: z.record(z.string(), z.string()),
  body: z.unknown().openapi({ description: "The parsed JSON body when the stored body is JSON, else the raw string" }),
  body_purged_at: z.string().nullable().openapi({ description: "When retention dropped this large event's body (body is then \"\"; LARGE_BODY_BYTES, LARGE_BODY_RETENTION_DAYS), else null. Such an event cannot be replayed (409)" }),
}).openapi("Event");
export const EventQuery = PageQuery.extend({
  trigger_id: z.string().optional().openapi({ description: "Only events of this project_trigger_id" }),
  status: Status.optional(),
  since: z.string().optional().openapi({ description: "Only events received at or after this ISO-8601 time" }),
  until: z.string().optional().openapi({ description: "Only events received at or before this ISO-8601 time" }),
});
export const Replayed = z
  .object({ event_id: z.string().openapi({ description: "The id of the new (replayed) event" }), replay_of: z.string(), status: z.literal("replayed") })
  .openapi("EventReplayed");

const list = createRoute({ method: "get", path: base, tags, summary: "List Events (newest first)", request: { params: OrgParams, query: EventQuery }, responses: { 200: jsonOk(listOf("events", EventSummary)), ...errorResponses } });
const GetQuery = z.object({
  raw: z.enum(["true", "false"]).optional().openapi({ description: "true: `body` is the stored body exactly as received (a string, byte-for-byte), so a forwarded copy still verifies; default false" }),
});
const get = createRoute({ method: "get", path: `${base}/{event_id}`, tags, summary: "Get Event (with headers and body)", request: { params: EventParams, query: GetQuery }, responses: { 200: jsonOk(EventOut), ...errorResponses } });
const replay = createRoute({
  method: "post", path: `${base}/{event_id}/replay`, tags, summary: "Replay Event (runner+)",
  description: "Stores a copy of the event (`replay_of` = the original) and routes the copy again, as if it had just arrived.",
  request: { params: EventParams }, responses: { 202: jsonOk(Replayed, "Accepted: routing is queued"), ...errorResponses },
});

export const ForwardIn = z
  .object({
    target: z.string().min(1).max(2048).openapi({ description: "The local URL the event was forwarded to", example: "http://localhost:3000/webhooks" }),
    status: z.number().int().min(100).max(599).nullable().openapi({ description: "The local HTTP status; null when no answer came (see `error`)" }),
    response_body: z.string().max(65_536).nullable().optional().openapi({ description: "The local response body; at most 2,048 characters are kept" }),
    duration_ms: z.number().int().min(0).max(3_600_000),
    error: z.string().max(2000).nullable().optional().openapi({ description: "Why no HTTP answer came (connection refused, timeout…)" }),
  })
  .strict()
  .openapi("EventForwardIn");
export const ForwardOut = z
  .object({
    forward_id: z.string(), event_id: z.string(), target: z.string(), status: z.number().int().nullable(), response_body: z.string().nullable(),
    duration_ms: z.number().int(), error: z.string().nullable(), recorded_by: z.string(), forwarded_at: z.string(),
  })
  .openapi("EventForward");

const forward = createRoute({
  method: "post", path: `${base}/{event_id}/forwards`, tags, summary: "Record a local forward (runner+)",
  description: "What a local receiver answered when `switchyard listen` forwarded this event to it. Shown with the event (GET …/forwards) and in the console.",
  request: { params: EventParams, body: { content: { "application/json": { schema: ForwardIn } }, required: true } },
  responses: { 201: jsonOk(ForwardOut, "Recorded"), ...errorResponses },
});
const forwards = createRoute({
  method: "get", path: `${base}/{event_id}/forwards`, tags, summary: "List an event's local forwards (newest first, at most 50)",
  request: { params: EventParams }, responses: { 200: jsonOk(z.object({ forwards: z.array(ForwardOut) })), ...errorResponses },
});

/** Registers the events routes. */
export function registerEvents(r: OpenAPIHono<AppEnv>): void {
  r.openapi(list, async (c) => {
    const { limit, cursor, ...filter } = c.req.valid("query");
    const { items, ...page } = await listEvents(ctxOf(c), c.req.valid("param").org_id, filter, { limit, cursor });
    return c.json({ ...page, events: items }, 200);
  });
  r.openapi(get, async (c) => {
    const p = c.req.valid("param");
    return c.json(await getEvent(ctxOf(c), p.org_id, p.event_id, { raw: c.req.valid("query").raw === "true" }), 200);
  });
  r.openapi(replay, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "event.replay", targetType: "event", targetId: p.event_id });
    const out = await replayEvent(ctxOf(c), p.org_id, p.event_id);
    c.set("audit", { action: "event.replay", targetType: "event", targetId: p.event_id, details: { replay_event_id: out.event_id } });
    return c.json(out, 202);
  });
  r.openapi(forward, async (c) => {
    const p = c.req.valid("param");
    c.set("audit", { action: "event.forward", targetType: "event", targetId: p.event_id });
    return c.json(await recordForward(ctxOf(c), p.org_id, p.event_id, c.req.valid("json")), 201);
  });
  r.openapi(forwards, async (c) => {
    const p = c.req.valid("param");
    return c.json({ forwards: await listForwards(ctxOf(c), p.org_id, p.event_id) }, 200);
  });
}
