import { and, asc, desc, eq, gte, isNotNull, isNull, lte, type SQL } from "drizzle-orm";
import type { Ctx } from "../core/context";
import { AppError, conflict, invalid, notFound } from "../core/errors";
import { nowIso, uuidv7 } from "../core/ids";
import type { Page } from "../core/pagination";
import { actions, events, executions, runs } from "../db/schema";
import type { RunRow } from "./executions";
import { inOrg } from "../db/scope";
import { assertRole } from "../core/actor";
import { gateOrg, openOrg } from "./orgs";
import { pageByTime, type PageIn } from "./paging";
import { inboxFor } from "../durable/client";

export type EventStatus = "received" | "routed" | "unmatched" | "failed";

/** An event as listed (without headers and body, which can be large). */
export interface EventSummary {
  event_id: string;
  project_trigger_id: string;
  app_id: string;
  provider_id: string;
  event_type: string | null;
  status: EventStatus;
  matched_actions: string[];
  replay_of: string | null;
  received_at: string;
  /** Why routing last failed, else null. */
  route_error: string | null;
}

/** One event in full: `body` is the parsed JSON when the stored body is JSON, else the raw string. */
export interface EventOut extends EventSummary {
  headers: Record<string, string>;
  body: unknown;
  /** When retention dropped this large event's body (body is then ""), else null. */
  body_purged_at: string | null;
}

export interface EventFilter {
  trigger_id?: string;
  status?: EventStatus;
  since?: string;
  until?: string;
}

type Row = typeof events.$inferSelect;
const summary = (r: Row): EventSummary => ({
  event_id: r.eventId, project_trigger_id: r.projectTriggerId, app_id: r.appId, provider_id: r.providerId,
  event_type: r.eventType ?? null, status: r.status, matched_actions: r.matchedActions ?? [], replay_of: r.replayOf ?? null,
  received_at: r.receivedAt, route_error: r.routeError ?? null,
});

function parseBody(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** An ISO-ish timestamp from the query, normalised to the stored UTC format; 422 otherwise. */
function instant(name: string, value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const ms = Date.parse(value);
  if (Number.isNaN(ms)) throw invalid(["query", name], `${name} must be an ISO-8601 timestamp, e.g. 2026-01-31T12:00:00Z`, value);
  return new Date(ms).toISOString();
}

/** Lists the org's events newest first by received_at (viewer+), filtered by trigger, status and received_at range (inclusive). */
export async function listEvents(ctx: Ctx, orgId: string, filter: EventFilter, page: PageIn): Promise<Page<EventSummary>> {
  await openOrg(ctx, orgId, "viewer");
  const since = instant("since", filter.since);
  const until = instant("until", filter.until);
  const conds: (SQL | undefined)[] = [
    filter.trigger_id ? eq(events.projectTriggerId, filter.trigger_id) : undefined,
    filter.status ? eq(events.status, filter.status) : undefined,
    since ? gte(events.receivedAt, since) : undefined,
    until ? lte(events.receivedAt, until) : undefined,
  ];
  return pageByTime(ctx.db, events, events.receivedAt, events.eventId, inOrg(events, orgId, ...conds), page, summary);
}

async function findEvent(ctx: Ctx, orgId: string, eventId: string): Promise<Row> {
  const row = (await ctx.db.select().from(events).where(inOrg(events, orgId, eq(events.eventId, eventId))).limit(1))[0];
  if (!row) throw notFound("event");
  return row;
}

/** A webhook event id (`eventIdFor`: UUID version 8); only those can be waiting in an inbox. */
const DELIVERY_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/**
 * The inbox's copy of a held event, or null. An inbox object that cannot be reached is
 * logged and answered as "not held": the caller then gets the 404 whose message says an
 * event acknowledged moments ago may still be on its way, never a 500 for an event D1 does
 * not hold (in mode `queue` it is usually in a queue message, not in an inbox at all).
 */
async function peekInbox(ctx: Ctx, orgId: string, eventId: string) {
  try {
    return await inboxFor(ctx.env, eventId).peek(orgId, eventId);
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "inbox unreachable while reading an event; answered as not held", event_id: eventId, error: String(err) }));
    return null;
  }
}

/**
 * The event, from D1 or, when D1 does not hold it yet, from the inbox object that holds it
 * until its flush (an acknowledged webhook in the inbox is answered as `received`), or from D1
 * again when the inbox flushed it meanwhile. Throws 404 otherwise, saying (for ids of the
 * derived shape) that an event acknowledged moments ago may not be visible yet.
 */
async function findOrHeld(ctx: Ctx, orgId: string, eventId: string): Promise<Row> {
  const read = async () => (await ctx.db.select().from(events).where(inOrg(events, orgId, eq(events.eventId, eventId))).limit(1))[0];
  const row = await read();
  if (row) return row;
  if (!DELIVERY_ID.test(eventId)) throw notFound("event");
  const held = await peekInbox(ctx, orgId, eventId.toLowerCase());
  // Not held: the inbox may have flushed it between the two reads (a row leaves the inbox only
  // once D1 has it), so D1 is read once more before answering 404.
  const flushed = held ? undefined : await read();
  if (flushed) return flushed;
  if (held) {
    return {
      eventId: held.event_id, orgId: held.org_id, appId: held.app_id, projectTriggerId: held.project_trigger_id, providerId: held.provider_id,
      eventType: held.event_type, dedupKey: held.dedup_key, headers: held.headers, body: held.body, status: held.status, routeError: null,
      routeAttempts: 0, matchedActions: null, replayOf: null, receivedAt: held.received_at, bodyPurgedAt: null,
    };
  }
  // Every id of the webhook shape gets the same hint, stored or not, in this org or another.
  throw notFound('a webhook acknowledged in the last few seconds may still be on its way to storage (docs/api.md, "Ingest"), so retry shortly; event');
}

/**
 * Reads one event with its headers and body (viewer+); with `raw`, the body is the stored
 * string exactly as received. An acknowledged webhook not yet in D1 but held in an inbox is
 * answered from there (status `received`); one still in the queue is a 404 that says so.
 */
export async function getEvent(ctx: Ctx, orgId: string, eventId: string, opts: { raw?: boolean } = {}): Promise<EventOut> {
  await gateOrg(ctx, orgId);
  const row = await findOrHeld(ctx, orgId, eventId);
  assertRole(ctx.actor, "viewer");
  return { ...summary(row), headers: row.headers, body: opts.raw ? row.body : parseBody(row.body), body_purged_at: row.bodyPurgedAt ?? null };
}

/**
 * Replays an event (runner+): stores a copy with `replay_of` set to the original and
 * status `received`, then enqueues `event.route` for the copy. A copy (rather than
 * re-routing the original) keeps routing idempotent per event and keeps the original's
 * outcome on record. Returns the new event's id. If the queue refuses, the copy is removed
 * and a 503 `queue_unavailable` is thrown (nothing half-done is left). An event whose body
 * retention dropped is refused with 409: replaying it would deliver an empty body.
 */
export async function replayEvent(ctx: Ctx, orgId: string, eventId: string): Promise<{ event_id: string; replay_of: string; status: "replayed" }> {
  await gateOrg(ctx, orgId);
  const row = await findEvent(ctx, orgId, eventId);
  assertRole(ctx.actor, "runner");
  const copyId = uuidv7();
  await copyAndRoute(ctx, orgId, row, copyId, `replay:${copyId}`);
  return { event_id: copyId, replay_of: row.eventId, status: "replayed" };
}

/**
 * Replays an event at most once per `key` (the bulk replay job passes `job:<job_id>:<event_id>`),
 * exactly as replayEvent does otherwise. The copy's dedup key is `key`, and the events unique
 * index `(project_trigger_id, dedup_key)` makes a second call with the same key store nothing:
 * it answers `already` (a redelivered job step replays nothing twice). Errors as replayEvent
 * (404, 409 for a dropped body, 503 when the queue refuses and the copy was removed).
 */
export async function replayEventOnce(ctx: Ctx, orgId: string, eventId: string, key: string): Promise<"replayed" | "already"> {
  await gateOrg(ctx, orgId);
  const row = await findEvent(ctx, orgId, eventId);
  assertRole(ctx.actor, "runner");
  return (await copyAndRoute(ctx, orgId, row, uuidv7(), key)) ? "replayed" : "already";
}

/** Stores the copy (unless `dedupKey` already exists for the trigger) and enqueues its routing; false when it existed. */
async function copyAndRoute(ctx: Ctx, orgId: string, row: Row, copyId: string, dedupKey: string): Promise<boolean> {
  if (row.bodyPurgedAt) throw conflict(`the event's body was dropped by retention at ${row.bodyPurgedAt}; it cannot be replayed`);
  const stored = await ctx.db
    .insert(events)
    .values({
      ...row, eventId: copyId, dedupKey, status: "received", matchedActions: null, routeError: null, routeAttempts: 0,
      replayOf: row.eventId, receivedAt: nowIso(),
    })
    .onConflictDoNothing({ target: [events.projectTriggerId, events.dedupKey] })
    .returning({ eventId: events.eventId });
  if (stored.length === 0) return false;
  try {
    await ctx.env.TASKS.send({ v: 1, kind: "event.route", event_id: copyId });
  } catch (err) {
    // No orphan copy: the replay did not happen, and the caller is told to retry it.
    console.error(JSON.stringify({ level: "error", msg: "replay not enqueued; copy removed", event_id: copyId, error: String(err) }));
    await ctx.db.delete(events).where(inOrg(events, orgId, eq(events.eventId, copyId)));
    const msg = "the work queue is unavailable; the event was not replayed — retry the call";
    throw new AppError("unavailable", msg, [{ loc: [], msg, type: "queue_unavailable", input: null, ctx: {} }]);
  }
  return true;
}

/** A run an event caused, with its action's name. */
export type EventRun = RunRow & { action_name: string | null };

/**
 * The runs (every attempt) that one event caused, oldest first, with their actions' names
 * (viewer+; another org's event is 404). Reads the event's executions through the
 * `executions_event_action` index and their runs through `runs_execution`.
 */
export async function eventRuns(ctx: Ctx, orgId: string, eventId: string): Promise<EventRun[]> {
  await gateOrg(ctx, orgId);
  await findEvent(ctx, orgId, eventId);
  assertRole(ctx.actor, "viewer");
  const rows = await ctx.db
    .select({ run: runs, actionName: actions.name })
    .from(executions)
    .innerJoin(runs, and(eq(runs.executionId, executions.executionId), eq(runs.orgId, executions.orgId)))
    .leftJoin(actions, and(eq(actions.actionId, executions.actionId), eq(actions.orgId, executions.orgId)))
    .where(inOrg(executions, orgId, eq(executions.eventId, eventId), isNotNull(executions.eventId), isNull(executions.pipelineRunId)))
    .orderBy(asc(runs.runId))
    .limit(200);
  return rows.map((r) => ({ ...r.run, action_name: r.actionName ?? null }));
}

/**
 * When each of `triggerIds` (at most 200, all of the org) last received an event, or null.
 * One indexed lookup per trigger (`events_trigger_time`), batched in one round trip. The
 * caller has already listed the triggers through a tenancy-checked verb.
 */
export async function lastEventTimes(ctx: Ctx, orgId: string, triggerIds: string[]): Promise<Map<string, string | null>> {
  const ids = triggerIds.slice(0, 200);
  const out = new Map<string, string | null>(ids.map((id) => [id, null]));
  if (!ids.length) return out;
  const [first, ...rest] = ids.map((id) =>
    ctx.db.select({ at: events.receivedAt }).from(events).where(inOrg(events, orgId, eq(events.projectTriggerId, id))).orderBy(desc(events.receivedAt)).limit(1),
  );
  const results = await ctx.db.batch([first!, ...rest]);
  ids.forEach((id, i) => out.set(id, results[i]?.[0]?.at ?? null));
  return out;
}
