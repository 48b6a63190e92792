import { and, eq, isNull, lte, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { nextCronRun } from "../core/cron";
import { getDb, type Db } from "../db/client";
import { actions, executions } from "../db/schema";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { startExecution, type ActionRow } from "./executions";
import { sendInChunks } from "../queue/send";

/** Ids per write-back statement (passed as ONE json parameter, so D1's 100-parameter cap does not apply). */
const IDS_PER_STATEMENT = 1000;

/**
 * The exact next fire time of an action's schedule after `now`, or null (disabled, no
 * schedule, a `once` time already past, or a cron that never fires again).
 */
export function computeNextRunAt(
  a: Pick<ActionRow, "isEnabled" | "scheduleType" | "cronExpression" | "timezone" | "scheduledAt">,
  now: Date,
): string | null {
  if (!a.isEnabled || !a.scheduleType) return null;
  if (a.scheduleType === "cron" && a.cronExpression) return nextCronRun(a.cronExpression, a.timezone ?? "UTC", now);
  if (a.scheduleType === "once" && a.scheduledAt) return new Date(a.scheduledAt).getTime() > now.getTime() ? new Date(a.scheduledAt).toISOString() : null;
  return null;
}

/**
 * Claims due scheduled actions and enqueues them (minute cron). Returns how many.
 * Guarantees: the claim is ONE atomic `UPDATE … RETURNING` that clears `next_run_at`, so a
 * concurrent or repeated invocation for the same minute claims nothing; each claimed action
 * fires once for its slot however many windows it missed; cron actions get their next
 * run computed from `now` (one cron evaluation per distinct (cron, timezone)) and written
 * back in a single batch of `IN (json_each(?))` updates that skip actions edited meanwhile;
 * `once` actions stay null. Cost for N due actions: 1 claim + 1 batch + ⌈N/100⌉ sendBatch.
 * A chunk the queue refuses is handed back (see releaseSlots) and not counted.
 */
export async function claimDueActions(env: Env, now: Date): Promise<number> {
  const db = getDb(env.DB);
  const nowIsoStr = now.toISOString();
  const claimed = await db
    .update(actions)
    .set({ claimedDueAt: sql`${actions.nextRunAt}`, claimedAt: nowIsoStr, nextRunAt: null })
    .where(and(eq(actions.isEnabled, true), lte(actions.nextRunAt, nowIsoStr)))
    .returning({ actionId: actions.actionId, dueAt: actions.claimedDueAt, cron: actions.cronExpression, timezone: actions.timezone, scheduleType: actions.scheduleType });
  if (claimed.length === 0) return 0;

  const groups = new Map<string, { cron: string; timezone: string | null; ids: string[] }>();
  for (const c of claimed) {
    if (c.scheduleType !== "cron" || !c.cron) continue;
    const key = `${c.cron}\u0000${c.timezone ?? ""}`;
    const g = groups.get(key) ?? { cron: c.cron, timezone: c.timezone, ids: [] };
    g.ids.push(c.actionId);
    groups.set(key, g);
  }
  const writes: BatchItem<"sqlite">[] = [];
  for (const g of groups.values()) {
    let next: string | null = null;
    try {
      next = nextCronRun(g.cron, g.timezone ?? "UTC", now);
    } catch {
      next = null; // an expression that stopped parsing (library change) must not block the others
    }
    if (!next) continue;
    for (let i = 0; i < g.ids.length; i += IDS_PER_STATEMENT) {
      const ids = JSON.stringify(g.ids.slice(i, i + IDS_PER_STATEMENT));
      writes.push(
        db
          .update(actions)
          .set({ nextRunAt: next })
          .where(
            and(
              sql`${actions.actionId} IN (SELECT value FROM json_each(${ids}))`,
              isNull(actions.nextRunAt),
              eq(actions.isEnabled, true),
              eq(actions.cronExpression, g.cron),
              g.timezone === null ? isNull(actions.timezone) : eq(actions.timezone, g.timezone),
            ),
          ),
      );
    }
  }
  if (writes.length) await db.batch(writes as [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]]);

  const tasks: Task[] = claimed.map((c) => ({ v: 1, kind: "action.scheduled", action_id: c.actionId, due_at: c.dueAt ?? nowIsoStr }));
  return sendInChunks(env.TASKS, tasks, async (chunk, err) => {
    console.error(JSON.stringify({ level: "error", msg: "schedule enqueue refused; slots handed back", actions: chunk.length, error: String(err) }));
    await releaseSlots(db, chunk.flatMap((t) => (t.kind === "action.scheduled" ? [t.action_id] : [])));
  });
}

/**
 * Hands claimed slots back when the queue refused them: `next_run_at` returns to the claimed
 * due time, so the next minute claims them again (the slot fires once: executions are unique
 * per (action, slot)); afterwards the normal claim computes the following run again.
 */
async function releaseSlots(db: Db, actionIds: string[]): Promise<void> {
  await db
    .update(actions)
    .set({ nextRunAt: sql`${actions.claimedDueAt}`, claimedAt: null })
    .where(and(sql`${actions.actionId} IN (SELECT value FROM json_each(${JSON.stringify(actionIds)}))`, eq(actions.isEnabled, true), sql`${actions.claimedDueAt} IS NOT NULL`));
}

/**
 * Handles `action.scheduled`: starts the execution for a claimed schedule slot. Guarantees:
 * at most one execution per (action, due_at) — a redelivered task finds the slot taken
 * (unique index `executions_action_slot`); deleted or disabled actions are skipped.
 */
export async function handleActionScheduled(env: Env, task: Extract<Task, { kind: "action.scheduled" }>): Promise<void> {
  const db = getDb(env.DB);
  const action = await db.select().from(actions).where(eq(actions.actionId, task.action_id)).get();
  if (!action) return;
  // Settles the slot without firing it (disabled, already fired, inputs refused): the sweeper stops re-driving it.
  const settle = (lastError?: string) =>
    db
      .update(actions)
      .set({ claimedDueAt: null, ...(lastError ? { lastError } : {}) })
      .where(and(eq(actions.orgId, action.orgId), eq(actions.actionId, action.actionId), eq(actions.claimedDueAt, task.due_at)));
  if (!action.isEnabled) return void (await settle());
  const taken = await db
    .select({ id: executions.executionId })
    .from(executions)
    .where(and(eq(executions.orgId, action.orgId), eq(executions.actionId, action.actionId), eq(executions.slot, task.due_at)))
    .get();
  if (taken) return void (await settle());
  try {
    await startExecution(db, env, { action, triggerType: "schedule", slot: task.due_at, invokedBy: "schedule" });
  } catch (err) {
    if (/UNIQUE constraint failed/i.test(String((err as Error)?.message) + String((err as { cause?: unknown })?.cause ?? ""))) return void (await settle());
    if ((err as { code?: string }).code === "validation_error") {
      console.warn(JSON.stringify({ level: "warn", msg: "scheduled run skipped: inputs rejected by manual_inputs_schema", action_id: action.actionId }));
      return void (await settle(`slot ${task.due_at} skipped: manual_inputs_schema rejects empty inputs`));
    }
    throw err;
  }
}
