import { createMessageBatch, env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { actions, events, executions, runs } from "../../../src/db/schema";
import worker from "../../../src/index";
import { MAX_RECOVERIES } from "../../../src/core/recovery";
import { handleRunDeliver } from "../../../src/services/delivery";
import { finishExecution, releaseApprovedRun } from "../../../src/services/executions";
import { handleEventRoute } from "../../../src/services/routing";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { actionsPath, createAction, makeTrigger } from "./helpers";

let sends: { body: any; opts: any }[];
beforeEach(() => {
  sends = [];
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: any, opts?: any) => void sends.push({ body, opts }) as any);
  // Routing enqueues the runs it started with one sendBatch; each message counts as a send.
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: any) => void sends.push(...[...msgs].map((m: any) => ({ body: m.body, opts: { delaySeconds: m.delaySeconds } }))) as any);
  vi.spyOn(env.DLQ, "send").mockImplementation(async () => undefined as any);
});
afterEach(() => vi.restoreAllMocks());

async function makeEvent(t: Tenant, triggerId: string, body: unknown, headers: Record<string, string> = {}, type: string | null = null) {
  const eventId = uuidv7();
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: triggerId, providerId: "webhook", eventType: type, dedupKey: eventId,
    headers, body: typeof body === "string" ? body : JSON.stringify(body), receivedAt: nowIso(),
  });
  return eventId;
}

describe("event routing", () => {
  it("fans one event out to two matching actions; a filter excludes a third; redelivery starts nothing new", async () => {
    const t = await makeTenant();
    const trig = await makeTrigger(t);
    const other = await makeTrigger(t);
    const ep = await makeEndpoint(t, "https://receiver.example.com/x");
    const a1 = await createAction(t, { endpoint_id: ep, name: "a1", trigger_ids: [trig], payload: { amount: "{{ event.body.amount }}", kind: "{{ event.type }}" } });
    const a2 = await createAction(t, { endpoint_id: ep, name: "a2", trigger_ids: [other, trig], filter: { body: { amount: { $gte: 100 } }, headers: { "x-source": "shop" } } });
    const a3 = await createAction(t, { endpoint_id: ep, name: "a3", trigger_ids: [trig], filter: { body: { currency: "USD" } } });
    const a4 = await createAction(t, { endpoint_id: ep, name: "a4", trigger_ids: [other] });
    const a5 = await createAction(t, { endpoint_id: ep, name: "a5", trigger_ids: [trig] });
    await api("POST", `${actionsPath(t)}/${a5.action_id}/disable`, { token: t.tokens.editor });

    const eventId = await makeEvent(t, trig, { amount: 150, currency: "EUR" }, { "X-Source": "shop" }, "order.created");
    await handleEventRoute(env, { v: 1, kind: "event.route", event_id: eventId });
    const execs = await db().select().from(executions).where(eq(executions.eventId, eventId));
    expect(execs.map((e) => e.actionId).sort()).toEqual([a1.action_id, a2.action_id].sort());
    expect(execs.every((e) => e.triggerType === "webhook" && e.projectTriggerId === trig)).toBe(true);
    const ev = await db().select().from(events).where(eq(events.eventId, eventId)).get();
    expect(ev!.status).toBe("routed");
    expect(ev!.matchedActions!.sort()).toEqual([a1.action_id, a2.action_id].sort());
    expect(sends).toHaveLength(2);

    // Redelivered route task: no second execution.
    await handleEventRoute(env, { v: 1, kind: "event.route", event_id: eventId });
    expect(await db().select().from(executions).where(eq(executions.eventId, eventId))).toHaveLength(2);

    // The payload sees the event.
    const seen: string[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(async (_i, init) => (seen.push(String(init?.body)), new Response("ok")));
    const a1Run = await db().select().from(runs).where(eq(runs.executionId, execs.find((e) => e.actionId === a1.action_id)!.executionId)).get();
    await handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id: a1Run!.runId });
    expect(JSON.parse(seen[0]!)).toEqual({ amount: 150, kind: "order.created" });
    expect(execs.some((e) => e.actionId === a3.action_id || e.actionId === a4.action_id || e.actionId === a5.action_id)).toBe(false);
  });

  it("marks an event that matches nothing as unmatched", async () => {
    const t = await makeTenant();
    const trig = await makeTrigger(t);
    await createAction(t, { trigger_ids: [trig], filter: { body: { amount: { $gt: 1000 } } } });
    const eventId = await makeEvent(t, trig, { amount: 5 });
    await handleEventRoute(env, { v: 1, kind: "event.route", event_id: eventId });
    expect((await db().select().from(events).where(eq(events.eventId, eventId)).get())!.status).toBe("unmatched");
    expect(sends).toHaveLength(0);
  });
});

describe("manual inputs, approvals, runs API", () => {
  const schema = { type: "object", required: ["reason"], properties: { reason: { type: "string", minLength: 2 } } };

  it("validates inputs against manual_inputs_schema with FastAPI-style loc", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { manual_inputs_schema: schema });
    const path = `${actionsPath(t)}/${a.action_id}/trigger`;
    const missing = await api("POST", path, { token: t.tokens.runner, body: { inputs: {} } });
    expect(missing.status).toBe(422);
    expect(missing.body.detail[0].loc).toEqual(["body", "inputs"]);
    expect(missing.body.detail[0].msg).toMatch(/reason/);
    const wrong = await api("POST", path, { token: t.tokens.runner, body: { inputs: { reason: 5 } } });
    expect(wrong.status).toBe(422);
    expect(wrong.body.detail[0].loc).toEqual(["body", "inputs", "reason"]);
    const ok = await api("POST", path, { token: t.tokens.runner, body: { inputs: { reason: "because" } } });
    expect(ok.status).toBe(200);
    expect((await api("POST", path, { token: t.tokens.runner })).status).toBe(422); // no body → inputs {} → missing reason
  });

  it("holds approval-required runs until released; a rejection fails the execution once", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { approval_required: true });
    const path = `${actionsPath(t)}/${a.action_id}/trigger`;
    const r1 = await api("POST", path, { token: t.tokens.runner });
    expect(r1.body.status).toBe("pending_approval");
    expect(sends).toHaveLength(0);
    expect(await releaseApprovedRun(db(), env, r1.body.run_id, "user-1", "ok")).toBe(true);
    expect(await releaseApprovedRun(db(), env, r1.body.run_id)).toBe(false);
    expect(sends).toEqual([{ body: { v: 1, kind: "run.deliver", run_id: r1.body.run_id }, opts: undefined }]);
    expect((await db().select().from(runs).where(eq(runs.runId, r1.body.run_id)).get())!).toMatchObject({ status: "pending", decidedBy: "user-1" });

    const r2 = await api("POST", path, { token: t.tokens.runner });
    expect(await finishExecution(db(), env, r2.body.execution_id, "rejected", "not today", "user-2")).toBe(true);
    expect(await finishExecution(db(), env, r2.body.execution_id, "rejected", "again")).toBe(false);
    const run2 = await api("GET", `${actionsPath(t)}/${a.action_id}/runs/${r2.body.run_id}`, { token: t.tokens.viewer });
    expect(run2.body).toMatchObject({ status: "rejected", error_message: "not today", decided_by: "user-2" });
    const act = (await db().select().from(actions).where(eq(actions.actionId, a.action_id)).get())!;
    expect(act).toMatchObject({ totalRuns: 2, failedRuns: 1, runningCount: 1, lastRunStatus: "rejected" });
  });

  it("refuses to trigger a disabled action (409) and honours a thread_id override", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { thread_mode: "fixed", thread_id: "fixed-thread" });
    const r = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner, body: { thread_id: "override-1" } });
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
    await handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id: r.body.run_id });
    const [call] = (globalThis.fetch as any).mock.calls;
    expect(new Headers(call[1].headers).get("x-switchyard-thread-id")).toBe("override-1");
    const r2 = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    await handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id: r2.body.run_id });
    expect(new Headers((globalThis.fetch as any).mock.calls[1][1].headers).get("x-switchyard-thread-id")).toBe("fixed-thread");
    await api("POST", `${actionsPath(t)}/${a.action_id}/disable`, { token: t.tokens.editor });
    const off = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    expect(off.status).toBe(409);
    expect(off.body.detail[0].msg).toMatch(/disabled/);
  });

  it("lists runs with status filter and pagination; 404 for a run of another action", async () => {
    const t = await makeTenant();
    const a = await createAction(t);
    const b = await createAction(t, { name: "b" });
    for (let i = 0; i < 3; i++) await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    const p1 = await api("GET", `${actionsPath(t)}/${a.action_id}/runs?limit=2`, { token: t.tokens.viewer });
    expect(p1.body).toMatchObject({ total: 3, has_more: true });
    expect(p1.body.runs).toHaveLength(2);
    for (const f of ["run_id", "action_id", "workspace_id", "execution_id", "status", "attempt", "trigger_type", "triggered_at", "started_at", "completed_at", "duration_seconds", "resolved_payload", "resolved_thread_id", "error_message", "error_code", "response_status", "response_body"]) {
      expect(p1.body.runs[0]).toHaveProperty(f);
    }
    const p2 = await api("GET", `${actionsPath(t)}/${a.action_id}/runs?limit=2&cursor=${p1.body.next_cursor}`, { token: t.tokens.viewer });
    expect(p2.body).toMatchObject({ total: 3, has_more: false, next_cursor: null });
    expect((await api("GET", `${actionsPath(t)}/${a.action_id}/runs?status=success`, { token: t.tokens.viewer })).body.total).toBe(0);
    expect((await api("GET", `${actionsPath(t)}/${a.action_id}/runs?status=bogus`, { token: t.tokens.viewer })).status).toBe(422);
    const runId = p1.body.runs[0].run_id;
    expect((await api("GET", `${actionsPath(t)}/${b.action_id}/runs/${runId}`, { token: t.tokens.viewer })).status).toBe(404);
    const other = await makeTenant("other");
    expect((await api("GET", `${actionsPath(t)}/${a.action_id}/runs`, { token: other.tokens.admin })).status).toBe(404);
  });
});

describe("dead letters", () => {
  it("a dead-lettered delivery waits for the sweeper; past MAX_RECOVERIES it fails dead_lettered and closes its execution once", async () => {
    const t = await makeTenant();
    const a = await createAction(t);
    const r = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    await db().update(runs).set({ status: "running" }).where(eq(runs.runId, r.body.run_id));
    const body = { v: 1, kind: "run.deliver", run_id: r.body.run_id };
    const dead = (n: number) => worker.queue(createMessageBatch("switchyard-dlq", [{ id: `m${n}`, timestamp: new Date(), attempts: 1, body }]) as any, env);
    await dead(1);
    // Not given up: pending again, one recovery counted, with a lease the sweeper acts on.
    expect((await db().select().from(runs).where(eq(runs.runId, r.body.run_id)).get())!).toMatchObject({ status: "pending", recoveries: 1, errorCode: null });
    for (let n = 2; n <= MAX_RECOVERIES + 1; n++) await dead(n);
    expect((await db().select().from(runs).where(eq(runs.runId, r.body.run_id)).get())!).toMatchObject({ status: "failed", errorCode: "dead_lettered", leaseUntil: null });
    await dead(99);
    expect((await db().select().from(actions).where(eq(actions.actionId, a.action_id)).get())!).toMatchObject({ failedRuns: 1, runningCount: 0, totalRuns: 1 });
  });
});
