/**
 * Finding: an acknowledged event that reaches D1 late is given up on by the sweeper within
 * five minutes. The sweeper's grace for an event left `received` doubles per attempt
 * (120 s, 240 s, … about an hour in all, docs/operations.md "Nothing stays stuck"), but it is
 * measured from `received_at`, the time of the 2xx. An event the inbox held through a D1
 * outage (or that spent hours in the dead-letter queue before its inbox took it) is stored
 * `received` with a `received_at` already older than every grace: each minute's sweep counts
 * an attempt, and the fifth marks it `failed` ("replay the event"). When the queue refuses
 * the re-routes meanwhile (the very fault that sends webhooks to the inbox), an acknowledged
 * event ends never routed after 5 minutes, while one stored on time gets an hour. (When the
 * queue takes them, each late event gets one extra event.route per minute on top of a
 * backlog.)
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eventIdFor } from "../../../src/core/ids";
import { events } from "../../../src/db/schema";
import { inboxFor } from "../../../src/durable/client";
import type { IngestedEvent } from "../../../src/engine/event-log";
import { sweep } from "../../../src/services/sweeper";
import { db } from "../../fixtures";
import { setup } from "./helpers";

afterEach(() => vi.restoreAllMocks());

describe("an acknowledged event stored late by its inbox", () => {
  it("gets the same routing retries as one stored on time while the queue refuses them", async () => {
    const { t, triggerId } = await setup("atk-late");
    const now = Date.now();
    const row = async (key: string, receivedAt: number): Promise<IngestedEvent> => ({
      event_id: await eventIdFor(triggerId, key), org_id: t.orgId, app_id: t.appId, project_trigger_id: triggerId, provider_id: "standard_webhooks",
      event_type: "invoice.paid", dedup_key: key, headers: {}, body: "{}", status: "received", received_at: new Date(receivedAt).toISOString(),
    });
    // Acknowledged two hours ago and held by the inbox through a D1 outage, and one acknowledged just now.
    const late = await row("whid:held-through-outage", now - 2 * 3600_000);
    const fresh = await row("whid:on-time", now);
    // The queue refuses from here on (every event.route, the inbox's and the sweeper's).
    vi.spyOn(env.TASKS, "send").mockRejectedValue(new Error("queue unavailable"));
    vi.spyOn(env.TASKS, "sendBatch").mockRejectedValue(new Error("queue unavailable"));
    for (const r of [late, fresh]) {
      await inboxFor(env, r.event_id).admit([r]);
      await runDurableObjectAlarm(inboxFor(env, r.event_id));
    }
    const status = async (id: string) => (await db().select({ s: events.status }).from(events).where(eq(events.eventId, id)))[0]?.s;
    expect([await status(late.event_id), await status(fresh.event_id)]).toEqual(["received", "received"]);
    // Six minute-crons pass (at the fresh event's 120 s grace and after, so it is swept too).
    for (let m = 2; m <= 7; m++) await sweep(env, new Date(now + m * 60_000));
    expect(await status(fresh.event_id)).toBe("received");
    expect(await status(late.event_id)).toBe("received");
  });
});
