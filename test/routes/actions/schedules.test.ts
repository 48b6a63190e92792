import { env } from "cloudflare:test";
import { eq, inArray, sql } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { actions, executions, runs } from "../../../src/db/schema";
import { claimDueActions, handleActionScheduled } from "../../../src/services/schedules";
import { db, makeEndpoint, makeTenant } from "../../fixtures";
import { createAction } from "./helpers";

let batches: any[][];
beforeEach(() => {
  batches = [];
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: any) => void batches.push([...msgs]) as any);
  vi.spyOn(env.TASKS, "send").mockImplementation(async () => undefined as any);
});
afterEach(() => vi.restoreAllMocks());

const setNext = (id: string, at: string) => db().update(actions).set({ nextRunAt: at }).where(eq(actions.actionId, id));
const row = (id: string) => db().select().from(actions).where(eq(actions.actionId, id)).get();
// A "now" in the past of every action created through the API, so only rows a test moves are due.
const NOW = new Date("2026-05-01T10:00:30Z");

describe("claimDueActions", () => {
  it("claims a due slot once, even when two invocations race for the same minute", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { schedule_type: "cron", cron_expression: "*/5 * * * *" });
    await setNext(a.action_id, "2026-05-01T10:00:00.000Z");
    const [n1, n2] = await Promise.all([claimDueActions(env, NOW), claimDueActions(env, NOW)]);
    expect(n1 + n2).toBe(1);
    expect(batches.flat()).toEqual([{ body: { v: 1, kind: "action.scheduled", action_id: a.action_id, due_at: "2026-05-01T10:00:00.000Z" } }]);
    expect(await row(a.action_id)).toMatchObject({ nextRunAt: "2026-05-01T10:05:00.000Z", claimedDueAt: "2026-05-01T10:00:00.000Z" });
    expect(await claimDueActions(env, NOW)).toBe(0);
  });

  it("fires a missed window once and schedules the next run from now", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { schedule_type: "cron", cron_expression: "* * * * *", timezone: "Europe/Paris" });
    await setNext(a.action_id, "2026-05-01T07:00:00.000Z"); // three hours of missed minutes
    expect(await claimDueActions(env, NOW)).toBe(1);
    expect(batches.flat()).toHaveLength(1);
    expect((await row(a.action_id))!.nextRunAt).toBe("2026-05-01T10:01:00.000Z");
  });

  it("a once schedule fires and stays cleared; disabled actions are not claimed", async () => {
    const t = await makeTenant();
    const once = await createAction(t, { schedule_type: "once", scheduled_at: "2030-01-01T00:00:00Z" });
    expect(once.next_run_at).toBe("2030-01-01T00:00:00.000Z");
    await setNext(once.action_id, "2026-05-01T10:00:00.000Z");
    const off = await createAction(t, { schedule_type: "cron", cron_expression: "* * * * *" });
    await db().update(actions).set({ isEnabled: false, nextRunAt: "2026-05-01T09:00:00.000Z" }).where(eq(actions.actionId, off.action_id));
    expect(await claimDueActions(env, NOW)).toBe(1);
    expect((await row(once.action_id))!.nextRunAt).toBeNull();
    batches = [];
    await claimDueActions(env, new Date("2031-01-01T00:00:00Z"));
    const later = batches.flat().map((m) => m.body.action_id);
    expect(later).not.toContain(once.action_id);
    expect(later).not.toContain(off.action_id);
  });

  it("handles 10,000 due actions with a handful of D1 statements", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example.com/x");
    // One INSERT … SELECT from a recursive CTE: 10,000 cron actions across two (cron, timezone) groups, all due.
    await db().run(sql`
      WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10000)
      INSERT INTO actions (action_id, org_id, workspace_id, app_id, endpoint_id, name, namespace_id, schedule_type, cron_expression, timezone, next_run_at, created_by, created_at, updated_at)
      SELECT printf('bulk-%05d-0000-0000-0000-000000000000', i), ${t.orgId}, ${t.workspaceId}, ${t.appId}, ${ep}, 'bulk', 'ns', 'cron',
             CASE WHEN i % 2 = 0 THEN '*/15 * * * *' ELSE '0 * * * *' END, CASE WHEN i % 2 = 0 THEN 'UTC' ELSE 'Europe/Paris' END,
             '2026-05-01T09:00:00.000Z', 'test', '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z'
      FROM n`);
    const prepare = vi.spyOn(env.DB, "prepare");
    const claimed = await claimDueActions(env, NOW);
    expect(claimed).toBe(10_000);
    expect(prepare.mock.calls.length).toBeLessThanOrEqual(12); // 1 claim + 10 write-backs (1000 ids each)
    expect(batches).toHaveLength(100);
    expect(batches.every((b) => b.length === 100)).toBe(true);
    const counts = await db()
      .select({ next: actions.nextRunAt, n: sql<number>`count(*)` })
      .from(actions)
      .where(eq(actions.orgId, t.orgId))
      .groupBy(actions.nextRunAt);
    expect(Object.fromEntries(counts.map((c) => [c.next, c.n]))).toEqual({ "2026-05-01T10:15:00.000Z": 5000, "2026-05-01T11:00:00.000Z": 5000 });
  });
});

describe("handleActionScheduled", () => {
  it("starts one execution per (action, slot), with trigger_type schedule", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { schedule_type: "cron", cron_expression: "0 * * * *" });
    const task = { v: 1 as const, kind: "action.scheduled" as const, action_id: a.action_id, due_at: "2026-05-01T10:00:00.000Z" };
    await handleActionScheduled(env, task);
    await handleActionScheduled(env, task);
    await Promise.all([handleActionScheduled(env, { ...task, due_at: "2026-05-01T11:00:00.000Z" }), handleActionScheduled(env, { ...task, due_at: "2026-05-01T11:00:00.000Z" })]);
    const execs = await db().select().from(executions).where(eq(executions.actionId, a.action_id));
    expect(execs.map((e) => e.slot).sort()).toEqual(["2026-05-01T10:00:00.000Z", "2026-05-01T11:00:00.000Z"]);
    const rs = await db().select().from(runs).where(inArray(runs.executionId, execs.map((e) => e.executionId)));
    expect(rs.every((r) => r.triggerType === "schedule" && r.status === "pending")).toBe(true);
    expect((await row(a.action_id))!.totalRuns).toBe(2);
  });
});
