import { and, eq, sql } from "drizzle-orm";
import { eventMatches } from "../core/filter";
import { nowIso } from "../core/ids";
import { getDb, type Db } from "../db/client";
import { jsonInsert } from "../db/json-rows";
import { actions, events, executions, runs, triggers } from "../db/schema";
import { createdIds, eventRow, insertEvents, type IngestedEvent } from "../engine/event-log";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { sendInChunks } from "../queue/send";
import { assertInputs, firstRunRows, type ActionRow, type EventRow, type FirstRun, type TriggerType } from "./executions";
import { deliverOperational, OPERATIONAL_PROVIDER, OPERATIONAL_TRIGGER } from "./operational";

const TRIGGER_TYPE_BY_KIND: Record<string, TriggerType> = { webhook: "webhook", polling: "polling", scheduled: "scheduled_trigger" };

/** An event as routing reads it. */
type Routable = Pick<EventRow, "eventId" | "orgId" | "appId" | "projectTriggerId" | "eventType" | "headers" | "body">;

/** `{body, headers, type}` as filters see it: body parsed as JSON when it is JSON, header names lower-case. */
export function filterInput(event: Pick<EventRow, "body" | "headers" | "eventType">): { body: unknown; headers: Record<string, string>; type: string | null } {
  let body: unknown = event.body;
  try {
    body = JSON.parse(event.body);
  } catch {
    /* keep the raw string */
  }
  const headers = Object.fromEntries(Object.entries(event.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return { body, headers, type: event.eventType };
}

/** What routing decided for a set of events. */
interface Plan {
  /** Per event id: `routed` (≥ 1 action's filter matched) or `unmatched`, and the matched action ids. */
  outcome: Map<string, { status: "routed" | "unmatched"; matched: string[] }>;
  /** One execution and its first run per (event, matched action whose inputs schema accepts `{}`). */
  started: FirstRun[];
}

/**
 * Decides, with two reads for the whole set, what each event starts: every ENABLED action of
 * the event's own org and app whose `trigger_ids` lists the event's trigger and whose `filter`
 * matches (in action-id order). A matched action whose inputs schema rejects the (empty)
 * inputs is skipped and logged, so one broken action cannot block its siblings; it still
 * counts as matched. Writes nothing.
 */
async function plan(db: Db, list: Routable[], at: string): Promise<Plan> {
  const out: Plan = { outcome: new Map(), started: [] };
  if (list.length === 0) return out;
  const ids = (pick: (e: Routable) => string) => JSON.stringify([...new Set(list.map(pick))]);
  const triggerIds = ids((e) => e.projectTriggerId);
  // System path: the set may span tenants. Read through actions_app (the batch's orgs and apps),
  // never all enabled actions; each event is matched only against its own org and app below.
  const [listed, kinds] = await db.batch([
    db
      .select()
      .from(actions)
      .where(
        and(
          sql`${actions.orgId} IN (SELECT value FROM json_each(${ids((e) => e.orgId)}))`,
          sql`${actions.appId} IN (SELECT value FROM json_each(${ids((e) => e.appId)}))`,
          // `+` keeps the planner off actions_due (is_enabled, …), which would read every enabled action.
          sql`+${actions.isEnabled} = 1`,
          sql`EXISTS (SELECT 1 FROM json_each(${actions.triggerIds}) t WHERE t.value IN (SELECT value FROM json_each(${triggerIds})))`,
        ),
      )
      .orderBy(actions.actionId),
    db
      .select({ id: triggers.projectTriggerId, orgId: triggers.orgId, kind: triggers.triggerType })
      .from(triggers)
      .where(sql`${triggers.projectTriggerId} IN (SELECT value FROM json_each(${triggerIds}))`),
  ]);
  for (const event of list) {
    const candidates = listed.filter((a: ActionRow) => a.orgId === event.orgId && a.appId === event.appId && a.triggerIds.includes(event.projectTriggerId));
    const input = candidates.length ? filterInput(event) : null;
    const matched = input ? candidates.filter((a) => eventMatches(a.filter, input)) : [];
    out.outcome.set(event.eventId, { status: matched.length ? "routed" : "unmatched", matched: matched.map((a) => a.actionId) });
    const kind = kinds.find((k) => k.id === event.projectTriggerId && k.orgId === event.orgId)?.kind ?? "webhook";
    for (const action of matched) {
      try {
        assertInputs(action.manualInputsSchema, {});
      } catch {
        console.warn(JSON.stringify({ level: "warn", msg: "action skipped: inputs rejected", action_id: action.actionId, event_id: event.eventId }));
        continue;
      }
      const triggerType = TRIGGER_TYPE_BY_KIND[kind] ?? "webhook";
      out.started.push(firstRunRows({ action, triggerType, event: event as EventRow, invokedBy: `trigger:${event.projectTriggerId}` }, at));
    }
  }
  return out;
}

/** The planned executions whose event now says `routed` with their action among `matched_actions`, and none yet for that (event, action). */
const EXECUTION_GUARD = `EXISTS (SELECT 1 FROM events e WHERE e.event_id = json_extract(j.value, '$.event_id') AND e.status = 'routed'
  AND EXISTS (SELECT 1 FROM json_each(e.matched_actions) m WHERE m.value = json_extract(j.value, '$.action_id')))`;
/** A planned first run whose execution this same batch created. */
const RUN_GUARD = `EXISTS (SELECT 1 FROM executions x WHERE x.execution_id = json_extract(j.value, '$.execution_id'))`;
/** Counters of the actions that got executions in this batch, from the executions that exist with the planned (fresh) ids. */
const COUNTERS = `UPDATE actions SET total_runs = total_runs + n.c, running_count = running_count + n.c, last_execution_id = n.last,
  last_run_at = ?2, last_run_status = CASE WHEN actions.approval_required THEN 'pending_approval' ELSE 'pending' END
  FROM (SELECT action_id, count(*) AS c, max(execution_id) AS last FROM executions WHERE execution_id IN (SELECT value FROM json_each(?1)) GROUP BY action_id) AS n
  WHERE actions.action_id = n.action_id`;

/**
 * The statements that start the planned executions, for the caller's D1 batch (one
 * transaction), after the statement that gives each event its outcome: executions (only
 * where the stored event says `routed` and lists the action, and no execution of that
 * (event, action) exists: `ON CONFLICT DO NOTHING` on `executions_event_action`), their
 * first runs (only for executions created here; RETURNING them) and the counters (once per
 * created execution). The last statement's result lists the runs created.
 */
function startStatements(d1: D1Database, p: Plan, at: string): D1PreparedStatement[] {
  if (p.started.length === 0) return [];
  return [
    ...jsonInsert(d1, executions, p.started.map((s) => s.execution), { where: EXECUTION_GUARD }),
    d1.prepare(COUNTERS).bind(JSON.stringify(p.started.map((s) => s.execution.executionId)), at),
    ...jsonInsert(d1, runs, p.started.map((s) => s.run), { where: RUN_GUARD, returning: "run_id, status" }),
  ];
}

/** Enqueues the delivery of the created `pending` runs. A refusal is logged: each such run has a lease, so the sweeper delivers it. */
async function enqueueCreated(env: Env, created: { run_id: string; status: string }[]): Promise<void> {
  const tasks: Task[] = created.filter((r) => r.status === "pending").map((r) => ({ v: 1, kind: "run.deliver", run_id: r.run_id }));
  await sendInChunks(env.TASKS, tasks, async (chunk, err) => {
    console.error(JSON.stringify({ level: "error", msg: "run.deliver refused after routing; the sweeper delivers these runs", runs: chunk.length, error: String(err) }));
  });
}

/** The runs created by a routing batch: the RETURNING rows of its run inserts (the statements after `before`). */
function createdRuns(results: D1Result[], before: number, p: Plan): { run_id: string; status: string }[] {
  if (p.started.length === 0) return [];
  return results.slice(before).flatMap((r) => (r.results as { run_id?: string; status?: string }[]).filter((x) => x.run_id).map((x) => ({ run_id: x.run_id!, status: x.status! })));
}

const toRoutable = (e: IngestedEvent): Routable => ({
  eventId: e.event_id, orgId: e.org_id, appId: e.app_id, projectTriggerId: e.project_trigger_id, eventType: e.event_type, headers: e.headers, body: e.body,
});

/**
 * Stores acknowledged events (queue-first ingest) already routed, in ONE D1 batch: each event
 * row is inserted with its final status (`routed` with `matched_actions`, `unmatched`, or the
 * `unmatched` ingest gave it) together with its executions, their first runs and the action
 * counters — so an event is never stored without the executions it decided, and its row is
 * written once. Guarantees: an event already stored (same id, or same trigger and dedup key)
 * inserts nothing, and starts nothing unless it is stored as `routed` and lists the action
 * with no execution for it yet — so a redelivered or duplicated batch starts nothing twice;
 * an event another path stored as `received` is left to that path's routing (or the
 * sweeper). Returns the ids of the events this call created.
 */
export async function storeRouted(env: Env, rows: IngestedEvent[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const at = nowIso();
  const p = await plan(getDb(env.DB), rows.filter((r) => r.status === "received").map(toRoutable), at);
  const inserts = insertEvents(env.DB, rows.map((r) => eventRow(r, r.status === "received" ? p.outcome.get(r.event_id) : undefined)));
  const results = await env.DB.batch([...inserts, ...startStatements(env.DB, p, at)]);
  const created = createdIds(results.slice(0, inserts.length));
  await enqueueCreated(env, createdRuns(results, inserts.length, p));
  return created;
}

/** Gives stored events their outcome (status and matched actions), whatever their status was. */
const SET_OUTCOME = `UPDATE events SET status = json_extract(j.value, '$.status'), matched_actions = json_extract(j.value, '$.matched')
  FROM json_each(?1) AS j WHERE events.event_id = json_extract(j.value, '$.event_id')`;

/**
 * Handles `event.route` tasks of stored events (replays, polled items, schedule ticks, the
 * inbox's flushes, large webhooks), together: in ONE D1 batch each event gets its outcome
 * (`routed` with `matched_actions`, or `unmatched`) with its executions, their first runs
 * and the counters (see `plan`). Guarantees: at most one execution per (event, action) — a
 * redelivered task, or two routings racing, start nothing twice (the unique index
 * `executions_event_action` settles the race inside the transaction); counters change once
 * per execution created; a refused `run.deliver` is left to the sweeper. Switchyard's own
 * operational events go to the org's operational endpoint instead. Unknown ids are skipped.
 */
export async function handleEventRoutes(env: Env, eventIds: string[]): Promise<void> {
  if (eventIds.length === 0) return;
  const db = getDb(env.DB);
  // One bound parameter whatever the batch size (D1 allows 100 per statement).
  const rows = await db.select().from(events).where(sql`${events.eventId} IN (SELECT value FROM json_each(${JSON.stringify(eventIds)}))`);
  const operational = rows.filter((e) => e.providerId === OPERATIONAL_PROVIDER && e.projectTriggerId === OPERATIONAL_TRIGGER);
  for (const e of operational) await deliverOperational(db, env, e);
  const list = rows.filter((e) => !operational.includes(e));
  if (list.length === 0) return;
  const at = nowIso();
  const p = await plan(db, list, at);
  const outcomes = list.map((e) => ({ event_id: e.eventId, status: p.outcome.get(e.eventId)!.status, matched: JSON.stringify(p.outcome.get(e.eventId)!.matched) }));
  const results = await env.DB.batch([env.DB.prepare(SET_OUTCOME).bind(JSON.stringify(outcomes)), ...startStatements(env.DB, p, at)]);
  await enqueueCreated(env, createdRuns(results, 1, p));
}

/** Handles one `event.route` task (see `handleEventRoutes`). */
export function handleEventRoute(env: Env, task: Extract<Task, { kind: "event.route" }>): Promise<void> {
  return handleEventRoutes(env, [task.event_id]);
}
