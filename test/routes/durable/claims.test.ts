import { createScheduledController, env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { events, triggers } from "../../../src/db/schema";
import worker from "../../../src/index";
import type { Task } from "../../../src/queue/messages";
import { claimDueTriggers, handleTriggerTick } from "../../../src/services/polling";
import { db, makeTenant } from "../../fixtures";
import { makeTrigger } from "./helpers";

// The queue is the platform boundary: tests capture tasks and drive the handlers themselves,
// so the pool's background consumer never races them.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const sentTasks = (spy: { mock: { calls: unknown[][] } }): Task[] => spy.mock.calls.flatMap((c) => (c[0] as { body: Task }[]).map((m) => m.body));
const row = async (id: string) => (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;

describe("claimDueTriggers", () => {
  it("claims a due polling trigger once per minute even when the cron runs twice", async () => {
    const tenant = await makeTenant();
    // Far-future "now" keeps triggers from other test files out of this minute's claims.
    const now = new Date("2031-03-04T05:06:00.000Z");
    const due = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://x.test", polling_frequency: 600 }, nextDueAt: "2031-03-04T05:05:00.000Z" });
    const later = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://x.test" }, nextDueAt: "2031-03-04T06:00:00.000Z" });
    const off = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", status: "DISABLED", config: { url: "https://x.test" }, nextDueAt: "2031-03-04T05:00:00.000Z" });
    const send = vi.spyOn(env.TASKS, "sendBatch");
    const [a, b] = await Promise.all([claimDueTriggers(env, now), claimDueTriggers(env, now)]);
    const polls = sentTasks(send).filter((t) => t.kind === "trigger.poll").map((t) => (t as { project_trigger_id: string }).project_trigger_id);
    expect(polls.filter((id) => id === due)).toHaveLength(1);
    expect(polls).not.toContain(later);
    expect(polls).not.toContain(off);
    expect(a + b).toBeGreaterThanOrEqual(1);
    expect((await row(due)).nextDueAt).toBe("2031-03-04T05:16:00.000Z");
  });

  it("ticks a scheduled trigger once for a missed slot and computes the next slot from now", async () => {
    const tenant = await makeTenant();
    const now = new Date("2032-01-01T12:00:30.000Z");
    const id = await makeTrigger(tenant, { providerId: "schedule", triggerId: "cron", type: "scheduled", config: { cron: "0 * * * *", timezone: "Europe/Paris" }, nextDueAt: "2032-01-01T09:00:00.000Z" });
    const send = vi.spyOn(env.TASKS, "sendBatch");
    // Through the real cron entry point, twice for the same minute.
    const ctl = createScheduledController({ scheduledTime: now.getTime(), cron: "* * * * *" });
    await worker.scheduled(ctl, env);
    await worker.scheduled(ctl, env);
    const ticks = sentTasks(send).filter((t) => t.kind === "trigger.tick" && t.project_trigger_id === id);
    expect(ticks).toEqual([{ v: 1, kind: "trigger.tick", project_trigger_id: id, due_at: "2032-01-01T09:00:00.000Z" }]);
    expect((await row(id)).nextDueAt).toBe("2032-01-01T13:00:00.000Z");
  });

  it("gives a new scheduled trigger its first slot without ticking", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "schedule", triggerId: "cron", type: "scheduled", config: { cron: "30 8 * * *", timezone: "America/New_York" } });
    const send = vi.spyOn(env.TASKS, "sendBatch");
    await claimDueTriggers(env, new Date("2033-06-01T00:00:00.000Z"));
    expect(sentTasks(send).filter((t) => t.kind === "trigger.tick" && t.project_trigger_id === id)).toEqual([]);
    expect((await row(id)).nextDueAt).toBe("2033-06-01T12:30:00.000Z");
  });
});

describe("handleTriggerTick", () => {
  it("stores one event per slot and routes it, even when the tick is redelivered", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "schedule", triggerId: "cron", type: "scheduled", config: { cron: "*/5 * * * *", timezone: "UTC" } });
    const send = vi.spyOn(env.TASKS, "sendBatch");
    const task = { v: 1, kind: "trigger.tick", project_trigger_id: id, due_at: "2030-01-01T00:05:00.000Z" } as const;
    await handleTriggerTick(env, task);
    await handleTriggerTick(env, task);
    const stored = await db().select().from(events).where(eq(events.projectTriggerId, id));
    expect(stored).toHaveLength(1);
    expect(stored[0]!.dedupKey).toBe(task.due_at);
    expect(JSON.parse(stored[0]!.body)).toEqual({ scheduled_at: task.due_at, cron: "*/5 * * * *", timezone: "UTC" });
    expect(sentTasks(send).filter((t) => t.kind === "event.route").map((t) => (t as { event_id: string }).event_id)).toContain(stored[0]!.eventId);
  });
});
