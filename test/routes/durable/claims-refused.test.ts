/**
 * A queue that refuses the claimed trigger tasks loses nothing: the scheduled slot and the
 * poll are handed back to the next minute, and fire then, once.
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { triggers } from "../../../src/db/schema";
import type { Task } from "../../../src/queue/messages";
import { claimDueTriggers } from "../../../src/services/polling";
import { db, makeTenant } from "../../fixtures";
import { makeTrigger } from "./helpers";

afterEach(() => vi.restoreAllMocks());

describe("claimDueTriggers when the queue refuses", () => {
  it("hands the tick slot and the poll back to the next minute", async () => {
    const tenant = await makeTenant();
    // Far-future "now" keeps triggers from other test files out of these claims.
    const now = new Date("2033-05-06T07:08:30.000Z");
    const tick = await makeTrigger(tenant, { providerId: "schedule", triggerId: "cron", type: "scheduled", config: { cron: "0 * * * *", timezone: "UTC" }, nextDueAt: "2033-05-06T07:00:00.000Z" });
    const poll = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://x.test", polling_frequency: 600 }, nextDueAt: "2033-05-06T07:05:00.000Z" });
    const batch = vi.spyOn(env.TASKS, "sendBatch").mockRejectedValueOnce(new Error("queue unavailable"));
    expect(await claimDueTriggers(env, now)).toBe(0);
    const nextDue = async (id: string) => (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!.nextDueAt;
    expect(await nextDue(tick)).toBe("2033-05-06T07:00:00.000Z");
    expect(await nextDue(poll)).toBe(now.toISOString());

    const sent: Task[] = [];
    batch.mockImplementation(async (msgs) => {
      sent.push(...[...msgs].map((m) => m.body as Task));
      return undefined as never;
    });
    expect(await claimDueTriggers(env, new Date(now.getTime() + 60_000))).toBe(2);
    expect(sent).toContainEqual({ v: 1, kind: "trigger.tick", project_trigger_id: tick, due_at: "2033-05-06T07:00:00.000Z" });
    expect(sent).toContainEqual({ v: 1, kind: "trigger.poll", project_trigger_id: poll });
  });
});
