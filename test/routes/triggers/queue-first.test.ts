/**
 * Queue-first ingest (docs/api.md, "Ingest"): a verified webhook is acknowledged once the event
 * itself is durable in a queue message (mode `queue`) or an inbox Durable Object (mode `inbox`,
 * what `npm start` uses); the consumer or the inbox's alarm stores it in D1 and routes it.
 * Exactly once in D1 whatever is redelivered or replayed; nothing acknowledged is lost when
 * the queue or D1 refuses. The queue is a spy that records what was sent (so the pool's own
 * consumer never races these tests); batches are handed to the real queue handler.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventIdFor } from "../../../src/core/ids";
import { actions, events, executions, runs } from "../../../src/db/schema";
import type { TriggerState } from "../../../src/durable/trigger-state";
import { heldHere, flushHere } from "../../../src/durable/inbox";
import { inboxFor } from "../../../src/durable/client";
import { createdIds, eventRow, insertEvents, type IngestedEvent } from "../../../src/engine/event-log";
import type { Env } from "../../../src/env";
import worker from "../../../src/index";
import type { Task } from "../../../src/queue/messages";
import { kickInboxes, MESSAGE_BYTES } from "../../../src/services/ingest-handoff";
import { sweep } from "../../../src/services/sweeper";
import { api, db, makeTenant } from "../../fixtures";
import { eventsOf } from "./helpers";
import { consume, deliver as send, ingestsOf, modeEnv, setup, spyQueue } from "./ingest-helpers";

let sent: Task[];
beforeEach(() => {
  sent = spyQueue();
});
afterEach(() => vi.restoreAllMocks());

const ingests = () => ingestsOf(sent);
const ofKind = (kind: Task["kind"]) => sent.filter((t) => t.kind === kind);

/** Posts one signed delivery, with a credential header that must never be stored or carried. */
const deliver = (e: Env, triggerId: string, msgId: string, body?: string) => send(e, triggerId, msgId, body, { authorization: "Bearer not-stored" });

const executionsOf = (eventId: string) => db().select().from(executions).where(eq(executions.eventId, eventId));

/** A D1 binding that refuses every statement, as D1 does during an outage. */
const downD1 = (): D1Database =>
  new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare") return () => { throw new Error("D1_ERROR: database unavailable"); };
      if (prop === "batch" || prop === "exec") return async () => { throw new Error("D1_ERROR: database unavailable"); };
      const v = Reflect.get(target, prop);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });

describe("queue-first ingest (INGEST_MODE=queue)", () => {
  it("acknowledges once the event itself is in the queue, with an id derived from the delivery; the consumer stores and routes it", async () => {
    const { t, triggerId } = await setup("qf-basic");
    const res = await deliver(modeEnv("queue"), triggerId, "msg_basic");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ event_id: await eventIdFor(triggerId, "whid:msg_basic"), duplicate: false });
    const [task] = ingests();
    expect(ingests()).toHaveLength(1);
    expect(task!.event.event_id).toBe(res.body.event_id);
    expect(JSON.parse(task!.event.body)).toEqual({ type: "invoice.paid", id: "msg_basic" });
    expect(task!.event.headers.authorization).toBeUndefined();
    // Not in D1 yet: the API says so in its 404.
    expect(await eventsOf(triggerId)).toHaveLength(0);
    const early = await api("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.tokens.viewer });
    expect(early.status).toBe(404);
    expect(early.body.detail[0].msg).toMatch(/on its way to storage.*not found$/);

    const result = await consume(ingests());
    expect(result.explicitAcks).toEqual(["m0"]);
    const stored = await eventsOf(triggerId);
    expect(stored.map((e) => [e.eventId, e.status])).toEqual([[res.body.event_id, "routed"]]);
    expect(await executionsOf(res.body.event_id)).toHaveLength(1);
    expect(ofKind("run.deliver")).toHaveLength(1);
    const got = await api("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.tokens.viewer });
    expect(got.status).toBe(200);
    expect(got.body.body).toEqual({ type: "invoice.paid", id: "msg_basic" });
  });

  it("a replay gets the original id; copies sent by several isolates, in one batch or later ones, are stored and routed once", async () => {
    const { triggerId } = await setup("qf-replay");
    const first = await deliver(modeEnv("queue"), triggerId, "msg_replay");
    const again = await deliver(modeEnv("queue"), triggerId, "msg_replay");
    expect(again.body).toEqual({ event_id: first.body.event_id, duplicate: true });
    // This isolate knew the replay: it sent no second message.
    expect(ingests()).toHaveLength(1);
    const copy = ingests()[0]!;
    // Two isolates each sent a copy (same event), consumed in one batch, then a third copy later.
    expect((await consume([copy, copy])).explicitAcks.sort()).toEqual(["m0", "m1"]);
    expect((await consume([copy])).explicitAcks).toEqual(["m0"]);
    expect(await eventsOf(triggerId)).toHaveLength(1);
    expect(await executionsOf(first.body.event_id)).toHaveLength(1);
    expect(ofKind("run.deliver")).toHaveLength(1);
  });

  it("a redelivered batch stores nothing twice and starts no second execution", async () => {
    const { triggerId } = await setup("qf-redeliver");
    for (const id of ["a", "b", "c"]) expect((await deliver(modeEnv("queue"), triggerId, `msg_${id}`)).status).toBe(200);
    const batch = ingests();
    await consume(batch.slice(0, 1));
    await consume(batch.slice(1));
    await consume(batch, 2);
    const stored = await eventsOf(triggerId);
    expect(stored).toHaveLength(3);
    for (const e of stored) expect(await executionsOf(e.eventId)).toHaveLength(1);
    const allRuns = await db().select().from(runs).where(eq(runs.orgId, stored[0]!.orgId));
    expect(allRuns).toHaveLength(3);
    // Counters count each execution once, whatever was redelivered.
    const [action] = await db().select().from(actions).where(eq(actions.orgId, stored[0]!.orgId));
    expect([action!.totalRuns, action!.runningCount]).toEqual([3, 3]);
  });

  it("a batch whose D1 transaction failed stored and started nothing; its redelivery stores and routes each event once", async () => {
    const { triggerId } = await setup("qf-died");
    await deliver(modeEnv("queue"), triggerId, "msg_died");
    const task = ingests()[0]!;
    const failed = await consume([task], 1, { ...env, DB: downD1() } as Env);
    expect(failed.explicitAcks).toEqual([]);
    expect(failed.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    expect(await eventsOf(triggerId)).toHaveLength(0);
    await consume([task], 2);
    await consume([task], 3);
    expect((await eventsOf(triggerId)).map((e) => e.status)).toEqual(["routed"]);
    expect(await executionsOf(task.event.event_id)).toHaveLength(1);
  });

  it("an event another path stored as received is left to that path's routing: the consumer starts nothing for it, its event.route starts it once", async () => {
    const { triggerId } = await setup("qf-other-path");
    await deliver(modeEnv("queue"), triggerId, "msg_other");
    const task = ingests()[0]!;
    // The D1 path (a large body, or mode d1) stored it first, as `received`, with its own event.route to come.
    expect((await deliver(modeEnv("d1"), triggerId, "msg_other")).body).toEqual({ event_id: task.event.event_id, duplicate: false });
    expect(ofKind("event.route")).toEqual([{ v: 1, kind: "event.route", event_id: task.event.event_id }]);
    await consume([task], 1);
    expect(await executionsOf(task.event.event_id)).toHaveLength(0);
    await consume([{ v: 1, kind: "event.route", event_id: task.event.event_id }]);
    await consume([task], 2);
    await consume([{ v: 1, kind: "event.route", event_id: task.event.event_id }], 2);
    expect(await executionsOf(task.event.event_id)).toHaveLength(1);
    expect((await eventsOf(triggerId))[0]!.status).toBe("routed");
  });

  it("a stored event no delivery routes any more is routed by the minute sweeper", async () => {
    const { triggerId } = await setup("qf-sweep");
    // Stored as `received` by the D1 path; its event.route task is lost (the spy never delivers it).
    const { event_id } = (await deliver(modeEnv("d1"), triggerId, "msg_sweep")).body;
    const task = { event: { event_id } };
    sent.length = 0;
    await sweep(env, new Date(Date.now() + 10 * 60_000));
    expect(ofKind("event.route")).toContainEqual({ v: 1, kind: "event.route", event_id: task.event.event_id });
  });

  it("when the queue refuses, the event is held in its inbox object, readable at once, and stored by the inbox's alarm", async () => {
    const { t, triggerId } = await setup("qf-refused");
    vi.mocked(env.TASKS.send).mockRejectedValueOnce(new Error("queue unavailable"));
    const res = await deliver(modeEnv("queue"), triggerId, "msg_refused");
    expect(res.status).toBe(200);
    expect(res.body.duplicate).toBe(false);
    const held = await api("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.tokens.viewer });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ event_id: res.body.event_id, status: "received", body: { type: "invoice.paid", id: "msg_refused" } });
    expect(await eventsOf(triggerId)).toHaveLength(0);
    expect(await runDurableObjectAlarm(inboxFor(env, res.body.event_id))).toBe(true);
    expect((await eventsOf(triggerId)).map((e) => [e.eventId, e.status])).toEqual([[res.body.event_id, "routed"]]);
    expect(await executionsOf(res.body.event_id)).toHaveLength(1);
  });

  it("when the queue and the inbox both refuse, the answer is 503 and nothing is acknowledged or stored", async () => {
    const { triggerId } = await setup("qf-503");
    vi.mocked(env.TASKS.send).mockRejectedValue(new Error("queue unavailable"));
    vi.spyOn(env.TRIGGER_STATE, "get").mockImplementation(() => ({ admit: async () => { throw new Error("object unavailable"); } }) as never);
    const res = await deliver(modeEnv("queue"), triggerId, "msg_503");
    expect(res.status).toBe(503);
    expect(res.body.detail[0].type).toBe("queue_unavailable");
    expect(await eventsOf(triggerId)).toHaveLength(0);
  });

  it("a body too large for one queue message is stored in D1 before the answer, exactly once", async () => {
    const { triggerId } = await setup("qf-large");
    const body = JSON.stringify({ type: "big", pad: "x".repeat(MESSAGE_BYTES) });
    const res = await deliver(modeEnv("queue"), triggerId, "msg_large", body);
    expect(res.status).toBe(200);
    expect(ingests()).toHaveLength(0);
    expect((await eventsOf(triggerId)).map((e) => e.eventId)).toEqual([res.body.event_id]);
    expect(ofKind("event.route")).toHaveLength(1);
    const again = await deliver(modeEnv("queue"), triggerId, "msg_large", body);
    expect(again.body).toEqual({ event_id: res.body.event_id, duplicate: true });
    expect(await eventsOf(triggerId)).toHaveLength(1);
  });

  it("a trigger disabled through the API refuses the next delivery at once (409), in the isolate that disabled it", async () => {
    const { t, triggerId } = await setup("qf-disabled");
    expect((await deliver(modeEnv("queue"), triggerId, "msg_warm")).status).toBe(200);
    expect((await api("POST", `/triggers/${triggerId}/disable`, { token: t.tokens.editor })).status).toBe(200);
    const res = await deliver(modeEnv("queue"), triggerId, "msg_after_disable");
    expect(res.status).toBe(409);
    expect(ingests()).toHaveLength(1);
  });

  it("a dead-lettered event.ingest is stored and routed by the dead-letter consumer; if D1 refuses, its inbox holds it", async () => {
    const { triggerId } = await setup("qf-dead");
    await deliver(modeEnv("queue"), triggerId, "msg_dead_1");
    await deliver(modeEnv("queue"), triggerId, "msg_dead_2");
    const [one, two] = ingests();
    expect((await consume([one!], 1, env, "switchyard-dlq")).explicitAcks).toEqual(["m0"]);
    expect(await executionsOf(one!.event.event_id)).toHaveLength(1);
    // D1 down: the event goes to its inbox (acked), and the inbox's alarm stores it once D1 is back.
    expect((await consume([two!], 1, { ...env, DB: downD1() } as Env, "switchyard-dlq")).explicitAcks).toEqual(["m0"]);
    expect((await eventsOf(triggerId)).map((e) => e.eventId)).toEqual([one!.event.event_id]);
    await runDurableObjectAlarm(inboxFor(env, two!.event.event_id));
    expect((await eventsOf(triggerId)).map((e) => e.eventId).sort()).toEqual([one!.event.event_id, two!.event.event_id].sort());
  });

  it("a dead-lettered event.ingest that neither D1 nor its inbox takes is retried later, never acked", async () => {
    const { triggerId } = await setup("qf-dead-retry");
    await deliver(modeEnv("queue"), triggerId, "msg_dead_retry");
    vi.spyOn(env.TRIGGER_STATE, "get").mockImplementation(() => ({ admit: async () => { throw new Error("object unavailable"); } }) as never);
    const batch = createMessageBatch("switchyard-dlq", [{ id: "m0", timestamp: new Date(), attempts: 2, body: ingests()[0]! }]);
    const retry = vi.spyOn(batch.messages[0]!, "retry");
    const ctx = createExecutionContext();
    await worker.queue(batch, { ...env, DB: downD1() } as Env, ctx);
    const result = await getQueueResult(batch, ctx);
    expect(result.explicitAcks).toEqual([]);
    expect(retry).toHaveBeenCalledWith({ delaySeconds: 60 });
  });
});

describe("inbox ingest (INGEST_MODE=inbox, what npm start uses)", () => {
  it("holds the event in its inbox until the alarm flushes it; a replay before and after the flush keeps one event", async () => {
    const { t, triggerId } = await setup("ib-basic");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_inbox");
    expect(res.status).toBe(200);
    expect(sent).toEqual([]);
    const before = await deliver(modeEnv("inbox"), triggerId, "msg_inbox");
    expect(before.body).toEqual({ event_id: res.body.event_id, duplicate: true });
    const held = await api("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.tokens.viewer });
    expect(held.body.status).toBe("received");
    await runDurableObjectAlarm(inboxFor(env, res.body.event_id));
    expect((await eventsOf(triggerId)).map((e) => e.eventId)).toEqual([res.body.event_id]);
    const after = await deliver(modeEnv("inbox"), triggerId, "msg_inbox");
    expect(after.body.event_id).toBe(res.body.event_id);
    await runDurableObjectAlarm(inboxFor(env, res.body.event_id));
    // Stored and routed by the flush, as the queue consumer does: one event, one execution, one delivery enqueued.
    expect((await eventsOf(triggerId)).map((e) => e.status)).toEqual(["routed"]);
    expect(await executionsOf(res.body.event_id)).toHaveLength(1);
    expect(ofKind("run.deliver")).toHaveLength(1);
  });

  it("another org's token reads a held event exactly like a nonexistent one (404)", async () => {
    const { triggerId } = await setup("ib-owner");
    const other = await makeTenant("ib-other");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_tenant");
    const foreign = await api("GET", `/v1/orgs/${other.orgId}/events/${res.body.event_id}`, { token: other.tokens.admin });
    const missing = await api("GET", `/v1/orgs/${other.orgId}/events/${await eventIdFor(triggerId, "whid:never-sent")}`, { token: other.tokens.admin });
    expect(foreign.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    await runDurableObjectAlarm(inboxFor(env, res.body.event_id));
  });

  it("a flush that D1 refuses keeps every row; the next flush stores each once and routes each once", async () => {
    const { triggerId } = await setup("ib-d1-down");
    const ids: string[] = [];
    for (const n of [1, 2, 3]) ids.push((await deliver(modeEnv("inbox"), triggerId, `msg_down_${n}`)).body.event_id);
    const shards = [...new Set(ids.map((id) => inboxFor(env, id)))];
    for (const stub of shards) {
      await runInDurableObject(stub, async (_o: TriggerState, state) => {
        const n = heldHere(state.storage.sql);
        await expect(flushHere(state.storage.sql, { ...env, DB: downD1() } as Env)).rejects.toThrow(/unavailable/);
        expect(heldHere(state.storage.sql)).toBe(n);
      });
    }
    for (const id of ids) await runDurableObjectAlarm(inboxFor(env, id));
    expect((await eventsOf(triggerId)).map((e) => e.eventId).sort()).toEqual([...ids].sort());
    for (const id of ids) expect(await executionsOf(id)).toHaveLength(1);
    expect(ofKind("run.deliver")).toHaveLength(3);
  });

  it("the minute cron has a shard whose alarm was lost set a new one, and reports what waits", async () => {
    const { triggerId } = await setup("ib-kick");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_kick");
    const stub = inboxFor(env, res.body.event_id);
    await runInDurableObject(stub, async (_o: TriggerState, state) => state.storage.deleteAlarm());
    expect(await runDurableObjectAlarm(stub)).toBe(false);
    expect(await kickInboxes(env)).toBeGreaterThanOrEqual(1);
    // The new alarm is due at once, so the runtime may be running it already: run it if it is
    // still pending, then wait (bounded: 50 × 20 ms) for the flush to land.
    await runDurableObjectAlarm(stub);
    for (let i = 0; i < 50 && (await eventsOf(triggerId)).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(await eventsOf(triggerId)).toHaveLength(1);
  });
});

describe("deterministic event ids", () => {
  it("one id per (trigger, dedupe key): equal inputs agree, any difference changes it, and it is a version-8 UUID", async () => {
    const a = await eventIdFor("0193a3c4-0000-7000-8000-000000000001", "whid:x");
    expect(await eventIdFor("0193A3C4-0000-7000-8000-000000000001", "whid:x")).toBe(a);
    expect(await eventIdFor("0193a3c4-0000-7000-8000-000000000002", "whid:x")).not.toBe(a);
    expect(await eventIdFor("0193a3c4-0000-7000-8000-000000000001", "whid:y")).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it("the batched insert keeps one row per event id and per (trigger, dedupe key), and says which rows it created", async () => {
    const { t, triggerId } = await setup("qf-store");
    const row = (id: string, dedup: string): IngestedEvent => ({
      event_id: id, org_id: t.orgId, app_id: t.appId, project_trigger_id: triggerId, provider_id: "standard_webhooks", event_type: null,
      dedup_key: dedup, headers: {}, body: "{}", status: "received", received_at: new Date().toISOString(),
    });
    const a = await eventIdFor(triggerId, "k1");
    const b = await eventIdFor(triggerId, "k2");
    const store = async (rows: IngestedEvent[]) => createdIds(await env.DB.batch(insertEvents(env.DB, rows.map((r) => eventRow(r)))));
    expect((await store([row(a, "k1"), row(a, "k1"), row(b, "k2")])).sort()).toEqual([a, b].sort());
    // A different id for a (trigger, dedupe key) already stored (an event from before derived ids) creates nothing.
    expect(await store([row(await eventIdFor(triggerId, "other"), "k1")])).toEqual([]);
    expect(await eventsOf(triggerId)).toHaveLength(2);
    const all = await db().select({ id: events.eventId }).from(events).where(eq(events.projectTriggerId, triggerId));
    expect(all.map((r) => r.id).sort()).toEqual([a, b].sort());
  });
});
