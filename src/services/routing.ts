import { and, eq, sql } from "drizzle-orm";
import { eventMatches } from "../core/filter";
import { getDb } from "../db/client";
import { inOrg } from "../db/scope";
import { actions, events, executions, triggers } from "../db/schema";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { deliverOperational, OPERATIONAL_PROVIDER, OPERATIONAL_TRIGGER } from "./operational";
import { startExecution, type EventRow, type TriggerType } from "./executions";

const TRIGGER_TYPE_BY_KIND: Record<string, TriggerType> = { webhook: "webhook", polling: "polling", scheduled: "scheduled_trigger" };

/** `{body, headers, type}` as filters see it: body parsed as JSON when it is JSON, header names lower-case. */
export function filterInput(event: EventRow): { body: unknown; headers: Record<string, string>; type: string | null } {
  let body: unknown = event.body;
  try {
    body = JSON.parse(event.body);
  } catch {
    /* keep the raw string */
  }
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { body, headers, type: event.eventType };
}

const isUniqueViolation = (err: unknown) => /UNIQUE constraint failed/i.test(String((err as Error)?.message ?? err) + String((err as { cause?: unknown })?.cause ?? ""));

/**
 * Handles `event.route`: fans an event out to every ENABLED action of the event's app whose
 * `trigger_ids` lists the event's trigger and whose `filter` matches. Guarantees: at most one
 * execution per (event, action) — a redelivered task skips actions already started, and the
 * unique index `executions_event_action` settles a concurrent race; the event ends `routed`
 * (with `matched_actions`) or `unmatched`. A matched action whose inputs schema rejects the
 * (empty) inputs is skipped and logged, so one broken action cannot block its siblings.
 */
export async function handleEventRoute(env: Env, task: Extract<Task, { kind: "event.route" }>): Promise<void> {
  const db = getDb(env.DB);
  const event = await db.select().from(events).where(eq(events.eventId, task.event_id)).get();
  if (!event) return;
  // Switchyard's own operational events go to the org's operational endpoint, not to actions.
  if (event.providerId === OPERATIONAL_PROVIDER && event.projectTriggerId === OPERATIONAL_TRIGGER) return deliverOperational(db, env, event);
  const trigger = await db
    .select({ triggerType: triggers.triggerType })
    .from(triggers)
    .where(inOrg(triggers, event.orgId, eq(triggers.projectTriggerId, event.projectTriggerId)))
    .get();
  const triggerType = TRIGGER_TYPE_BY_KIND[trigger?.triggerType ?? "webhook"] ?? "webhook";
  const candidates = await db
    .select()
    .from(actions)
    .where(
      inOrg(
        actions,
        event.orgId,
        eq(actions.appId, event.appId),
        eq(actions.isEnabled, true),
        sql`EXISTS (SELECT 1 FROM json_each(${actions.triggerIds}) WHERE json_each.value = ${event.projectTriggerId})`,
      ),
    )
    .orderBy(actions.actionId);
  const input = filterInput(event);
  const matched = candidates.filter((a) => eventMatches(a.filter, input));
  const started = matched.length
    ? await db
        .select({ actionId: executions.actionId })
        .from(executions)
        .where(inOrg(executions, event.orgId, eq(executions.eventId, event.eventId), sql`${executions.pipelineRunId} IS NULL`))
    : [];
  const done = new Set(started.map((s) => s.actionId));
  for (const action of matched) {
    if (done.has(action.actionId)) continue;
    try {
      await startExecution(db, env, { action, triggerType, event, invokedBy: `trigger:${event.projectTriggerId}` });
    } catch (err) {
      if (isUniqueViolation(err)) continue;
      if ((err as { code?: string }).code === "validation_error") {
        console.warn(JSON.stringify({ level: "warn", msg: "action skipped: inputs rejected", action_id: action.actionId, event_id: event.eventId }));
        continue;
      }
      throw err;
    }
  }
  await db
    .update(events)
    .set({ status: matched.length ? "routed" : "unmatched", matchedActions: matched.map((a) => a.actionId) })
    .where(and(eq(events.orgId, event.orgId), eq(events.eventId, event.eventId)));
}

/**
 * Routes the `event.route` tasks of one queue batch together. Events whose trigger no enabled
 * action of their app lists (the common case for a catch-all trigger without actions yet) are
 * settled as `unmatched` with three statements for the whole batch instead of four per event;
 * every other event goes through `handleEventRoute`, so filters, idempotency and fan-out keep
 * one implementation. Idempotent like `handleEventRoute`: safe to run again after a failure.
 */
export async function handleEventRoutes(env: Env, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  const db = getDb(env.DB);
  // System path: a batch spans tenants; each event is matched only against actions of its own org and app below.
  const rows = await db
    .select({ eventId: events.eventId, orgId: events.orgId, appId: events.appId, triggerId: events.projectTriggerId })
    .from(events)
    .where(sql`${events.eventId} IN (SELECT value FROM json_each(${JSON.stringify(eventIds)}))`);
  if (rows.length === 0) return;
  const triggerIds = [...new Set(rows.map((r) => r.triggerId))];
  const listed = await db
    .select({ orgId: actions.orgId, appId: actions.appId, triggerIds: actions.triggerIds })
    .from(actions)
    .where(
      and(
        eq(actions.isEnabled, true),
        sql`EXISTS (SELECT 1 FROM json_each(${actions.triggerIds}) t WHERE t.value IN (SELECT value FROM json_each(${JSON.stringify(triggerIds)})))`,
      ),
    );
  const hasCandidate = (r: (typeof rows)[number]) => r.triggerId === OPERATIONAL_TRIGGER || listed.some((a) => a.orgId === r.orgId && a.appId === r.appId && a.triggerIds.includes(r.triggerId));
  const unmatched = rows.filter((r) => !hasCandidate(r)).map((r) => r.eventId);
  if (unmatched.length) {
    await db
      .update(events)
      .set({ status: "unmatched", matchedActions: [] })
      .where(sql`${events.eventId} IN (SELECT value FROM json_each(${JSON.stringify(unmatched)}))`);
  }
  for (const r of rows) {
    if (hasCandidate(r)) await handleEventRoute(env, { v: 1, kind: "event.route", event_id: r.eventId });
  }
}
