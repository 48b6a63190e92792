import { and, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { nextCronRun } from "../core/cron";
import { nowIso, uuidv7 } from "../core/ids";
import type { Db } from "../db/client";
import { getDb } from "../db/client";
import { events, triggers } from "../db/schema";
import { inOrg } from "../db/scope";
import { triggerStateFor } from "../durable/client";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { loadConnectionSecrets, type Secrets } from "./connection-secrets";
import { PollError, pollFeed, pollJson, type PollConfig, type PolledItem } from "./poller-http";
import { sendInChunks } from "../queue/send";

export type TriggerRow = typeof triggers.$inferSelect;

/** Default seconds between polls when `trigger_config.polling_frequency` is absent; polls are never more often than once a minute. */
export const DEFAULT_POLLING_FREQUENCY = 300;

/** Sends tasks in chunks of 100 (the Queues batch limit); throws if the queue refuses. */
export async function enqueueAll(env: Env, tasks: Task[]): Promise<void> {
  await sendInChunks(env.TASKS, tasks, async (_chunk, err) => {
    throw err;
  });
}

/** A trigger by id, for system work (queue, cron, the trigger's own object) that has no tenant context. */
export async function loadTriggerById(db: Db, projectTriggerId: string): Promise<TriggerRow | undefined> {
  return (await db.select().from(triggers).where(eq(triggers.projectTriggerId, projectTriggerId)).limit(1))[0];
}

/**
 * Fetches a polling trigger's upstream once (provider `rss` → feed, anything else → JSON),
 * with the connection's credentials. Throws only PollError: anything that goes wrong while
 * fetching or reading the upstream becomes one (recorded as `last_error` by the caller).
 */
export async function fetchPolledItems(env: Env, db: Db, trigger: TriggerRow): Promise<PolledItem[]> {
  const config = (trigger.triggerConfig ?? {}) as Partial<PollConfig>;
  if (typeof config.url !== "string" || !config.url) throw new PollError("trigger_config.url is missing");
  let secrets: Secrets | null = null;
  if (trigger.connectionId) {
    try {
      secrets = (await loadConnectionSecrets(db, env.ENCRYPTION_KEY, trigger.orgId, trigger.connectionId)).secrets;
    } catch {
      throw new PollError(`connection ${trigger.connectionId} is missing or its secrets cannot be read`);
    }
  }
  const cfg = config as PollConfig;
  try {
    return await (trigger.providerId === "rss" ? pollFeed(cfg, secrets, env.OUTBOUND_ALLOW) : pollJson(cfg, secrets, env.OUTBOUND_ALLOW));
  } catch (err) {
    // Whatever the upstream sent, the outcome is a recorded poll error, never a thrown one.
    if (err instanceof PollError) throw err;
    throw new PollError(`upstream answer could not be processed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * Stores events for `items` (dedup_key = item id; the unique index makes a second insert a
 * no-op) and enqueues `event.route` for every one of them still waiting to be routed —
 * including events stored by an earlier poll whose enqueue failed. Returns how many rows
 * were new. Throws if D1 or the queue fails, so the caller keeps its cursor.
 */
export async function storeEvents(env: Env, db: Db, trigger: TriggerRow, items: { key: string; type: string; body: unknown }[]): Promise<number> {
  if (items.length === 0) return 0;
  const t = nowIso();
  const base = Date.now();
  // One millisecond apart, so event ids (UUIDv7) keep the emission order (oldest item first).
  const inserts = items.map((i, n) =>
    db
      .insert(events)
      .values({
        eventId: uuidv7(base + n),
        orgId: trigger.orgId,
        appId: trigger.projectId,
        projectTriggerId: trigger.projectTriggerId,
        providerId: trigger.providerId,
        eventType: i.type,
        dedupKey: i.key,
        headers: {},
        body: JSON.stringify(i.body),
        receivedAt: t,
      })
      .onConflictDoNothing()
      .returning({ eventId: events.eventId }),
  );
  let inserted = 0;
  for (let i = 0; i < inserts.length; i += 50) {
    const chunk = inserts.slice(i, i + 50) as [(typeof inserts)[number], ...(typeof inserts)[number][]];
    for (const r of await db.batch(chunk)) inserted += r.length;
  }
  const waiting: Task[] = [];
  const keys = items.map((i) => i.key);
  for (let i = 0; i < keys.length; i += 90) {
    const rows = await db
      .select({ eventId: events.eventId })
      .from(events)
      .where(inOrg(events, trigger.orgId, eq(events.projectTriggerId, trigger.projectTriggerId), eq(events.status, "received"), inArray(events.dedupKey, keys.slice(i, i + 90))));
    for (const r of rows) waiting.push({ v: 1, kind: "event.route", event_id: r.eventId });
  }
  await enqueueAll(env, waiting);
  return inserted;
}

/** Records an upstream problem on the trigger; the cursor is left untouched. */
export async function recordPollError(db: Db, trigger: TriggerRow, message: string): Promise<void> {
  await db.update(triggers).set({ lastError: message.slice(0, 1000), lastPolledAt: nowIso() }).where(eq(triggers.projectTriggerId, trigger.projectTriggerId));
}

/** Handles `trigger.poll`: the trigger's Durable Object polls (serialized, cursor-safe). */
export async function handleTriggerPoll(env: Env, task: Extract<Task, { kind: "trigger.poll" }>): Promise<void> {
  await triggerStateFor(env, task.project_trigger_id).poll(task.project_trigger_id);
}

/**
 * Handles `trigger.tick`: stores one event for the claimed slot (dedup_key = due_at, so a
 * redelivered tick is stored once) with body `{scheduled_at, cron, timezone}` and routes it,
 * then clears the trigger's `claimed_due_at` (a lost tick task is re-driven by the sweeper
 * until then). A trigger that was deleted or disabled meanwhile emits nothing.
 */
export async function handleTriggerTick(env: Env, task: Extract<Task, { kind: "trigger.tick" }>): Promise<void> {
  const db = getDb(env.DB);
  const trigger = await loadTriggerById(db, task.project_trigger_id);
  if (trigger && trigger.status === "ENABLED" && trigger.triggerType === "scheduled") {
    const cfg = (trigger.triggerConfig ?? {}) as { cron?: string; timezone?: string };
    await storeEvents(env, db, trigger, [
      { key: task.due_at, type: "schedule.tick", body: { scheduled_at: task.due_at, cron: cfg.cron ?? null, timezone: cfg.timezone ?? "UTC" } },
    ]);
  }
  // The slot is stored (or its trigger is gone or off): the sweeper no longer re-drives it.
  await db.update(triggers).set({ claimedDueAt: null }).where(and(eq(triggers.projectTriggerId, task.project_trigger_id), eq(triggers.claimedDueAt, task.due_at)));
}

/**
 * Claims due polling and scheduled triggers and enqueues them (minute cron). Guarantees:
 * each claim is one atomic UPDATE … WHERE next_due_at <= now (polling) or a compare-and-set
 * on the old next_due_at (scheduled), so running twice for the same minute claims once;
 * a missed slot fires once and the next slot is computed from `now`. A scheduled trigger
 * without next_due_at only gets its first slot computed. Returns how many were enqueued; a
 * chunk the queue refuses is handed back to the next minute (handBack), not lost.
 */
export async function claimDueTriggers(env: Env, now: Date): Promise<number> {
  const db = getDb(env.DB);
  const at = now.toISOString();
  const freq = sql`max(60, coalesce(cast(json_extract(${triggers.triggerConfig}, '$.polling_frequency') as integer), ${DEFAULT_POLLING_FREQUENCY}))`;
  const polled = await db
    .update(triggers)
    .set({ nextDueAt: sql`strftime('%Y-%m-%dT%H:%M:%fZ', ${at}, '+' || ${freq} || ' seconds')` })
    .where(and(eq(triggers.status, "ENABLED"), eq(triggers.triggerType, "polling"), or(isNull(triggers.nextDueAt), lte(triggers.nextDueAt, at))))
    .returning({ id: triggers.projectTriggerId });
  const tasks: Task[] = polled.map((r) => ({ v: 1, kind: "trigger.poll", project_trigger_id: r.id }));

  const due = await db
    .select({ id: triggers.projectTriggerId, config: triggers.triggerConfig, nextDueAt: triggers.nextDueAt })
    .from(triggers)
    .where(and(eq(triggers.status, "ENABLED"), eq(triggers.triggerType, "scheduled"), or(isNull(triggers.nextDueAt), lte(triggers.nextDueAt, at))));
  for (const row of due) {
    const cfg = (row.config ?? {}) as { cron?: string; timezone?: string };
    let next: string | null;
    try {
      next = nextCronRun(String(cfg.cron ?? ""), cfg.timezone || "UTC", now);
    } catch (err) {
      await db.update(triggers).set({ lastError: `invalid schedule: ${(err as Error).message}` }).where(eq(triggers.projectTriggerId, row.id));
      continue;
    }
    const claimed = await db
      .update(triggers)
      .set({ nextDueAt: next, ...(row.nextDueAt ? { claimedDueAt: row.nextDueAt, claimedAt: at } : {}) })
      .where(and(eq(triggers.projectTriggerId, row.id), row.nextDueAt === null ? isNull(triggers.nextDueAt) : eq(triggers.nextDueAt, row.nextDueAt)))
      .returning({ id: triggers.projectTriggerId });
    if (claimed.length && row.nextDueAt) tasks.push({ v: 1, kind: "trigger.tick", project_trigger_id: row.id, due_at: row.nextDueAt });
  }
  return sendInChunks(env.TASKS, tasks, async (chunk, err) => {
    console.error(JSON.stringify({ level: "error", msg: "trigger enqueue refused; slots handed back", triggers: chunk.length, error: String(err) }));
    await handBack(db, chunk, at);
  });
}

/**
 * Hands refused claims back to the next minute: a tick's trigger is due again at its slot (so
 * the slot fires once — tick events are unique per slot), a poll's trigger is due now.
 */
async function handBack(db: Db, tasks: Task[], at: string): Promise<void> {
  for (const t of tasks) {
    if (t.kind === "trigger.tick") await db.update(triggers).set({ nextDueAt: t.due_at, claimedAt: null }).where(eq(triggers.projectTriggerId, t.project_trigger_id));
    else if (t.kind === "trigger.poll") await db.update(triggers).set({ nextDueAt: at }).where(eq(triggers.projectTriggerId, t.project_trigger_id));
  }
}
