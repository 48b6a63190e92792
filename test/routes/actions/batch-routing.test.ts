/**
 * Batched routing: the `event.route` tasks of one queue batch are routed together. Events no
 * action lists are settled as unmatched in a few statements for the whole batch; the others
 * fan out exactly as one-by-one routing does; tenants never see each other's actions.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { events, executions } from "../../../src/db/schema";
import worker from "../../../src/index";
import { handleEventRoutes } from "../../../src/services/routing";
import { db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { createAction, makeTrigger } from "./helpers";

beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockImplementation(async () => undefined as never);
});
afterEach(() => vi.restoreAllMocks());

async function makeEvent(t: Tenant, triggerId: string, body: unknown) {
  const eventId = uuidv7();
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: triggerId, providerId: "webhook", eventType: null, dedupKey: eventId,
    headers: {}, body: JSON.stringify(body), receivedAt: nowIso(),
  });
  return eventId;
}

describe("batched event routing", () => {
  it("settles unlisted events as unmatched and fans out the rest, per tenant, acking every message", async () => {
    const a = await makeTenant("batch-a");
    const b = await makeTenant("batch-b");
    const listed = await makeTrigger(a);
    const unlisted = await makeTrigger(a);
    const bTrigger = await makeTrigger(b);
    const ep = await makeEndpoint(a, "https://receiver.example.com/x");
    const fan = await createAction(a, { endpoint_id: ep, name: "fan", trigger_ids: [listed] });
    const picky = await createAction(a, { endpoint_id: ep, name: "picky", trigger_ids: [listed], filter: { body: { n: { $gte: 10 } } } });
    const small = await makeEvent(a, listed, { n: 1 });
    const big = await makeEvent(a, listed, { n: 50 });
    const lonely = await makeEvent(a, unlisted, { n: 5 });
    // Org B's event names a trigger id that org A's action lists: it must not match across tenants.
    const foreign = await makeEvent(b, bTrigger, { n: 99 });
    await db().update(events).set({ projectTriggerId: listed }).where(eq(events.eventId, foreign));

    const batch = createMessageBatch("switchyard-tasks", [small, big, lonely, foreign].map((id, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body: { v: 1, kind: "event.route", event_id: id } })));
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks.sort()).toEqual(["m0", "m1", "m2", "m3"]);
    expect(result.retryMessages).toEqual([]);

    const rows = await db().select().from(events).where(inArray(events.eventId, [small, big, lonely, foreign]));
    const status = Object.fromEntries(rows.map((r) => [r.eventId, r.status]));
    expect(status).toEqual({ [small]: "routed", [big]: "routed", [lonely]: "unmatched", [foreign]: "unmatched" });
    const execs = await db().select().from(executions).where(inArray(executions.eventId, [small, big, lonely, foreign]));
    const byEvent = (id: string) => execs.filter((e) => e.eventId === id).map((e) => e.actionId).sort();
    expect(byEvent(small)).toEqual([fan.action_id]);
    expect(byEvent(big)).toEqual([fan.action_id, picky.action_id].sort());
    expect(byEvent(lonely)).toEqual([]);
    expect(byEvent(foreign)).toEqual([]);
  });

  it("routes a set larger than D1's 100 bound parameters in one call", async () => {
    const t = await makeTenant("batch-big");
    const trig = await makeTrigger(t);
    await createAction(t, { endpoint_id: await makeEndpoint(t, "https://receiver.example.com/x"), name: "all", trigger_ids: [trig] });
    const ids: string[] = [];
    for (let i = 0; i < 120; i++) ids.push(await makeEvent(t, trig, { n: i }));
    await handleEventRoutes(env, ids);
    const rows = await db().select().from(events).where(inArray(events.eventId, ids.slice(0, 60)));
    expect(rows.every((r) => r.status === "routed")).toBe(true);
    expect(await db().$count(executions, eq(executions.orgId, t.orgId))).toBe(120);
  });
});
