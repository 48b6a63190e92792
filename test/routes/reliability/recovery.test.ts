/**
 * Faults: nothing stays stuck, nothing acknowledged is lost. Each test breaks the engine the
 * way production does (an invocation that dies after its claim, a D1 error while recording,
 * a lost or dead-lettered task, a queue that refuses after a state change) and checks that
 * the minute sweeper or the dead-letter consumer brings the work to a final state with exact
 * counters. The queue is the platform boundary: tasks are captured, and the test hands them
 * to the real handlers.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { LEASE_MARGIN_SECONDS, MAX_RECOVERIES, MAX_ROUTE_ATTEMPTS, OVERDUE_GRACE_SECONDS } from "../../../src/core/recovery";
import { actions, events, pipelineRuns, runs, triggers } from "../../../src/db/schema";
import worker from "../../../src/index";
import { consumeTasks } from "../../../src/queue/consumer";
import type { Task } from "../../../src/queue/messages";
import { handleRunDeliver } from "../../../src/services/delivery";
import { releaseApprovedRun } from "../../../src/services/executions";
import { handlePipelineAdvance } from "../../../src/services/pipeline-engine";
import { handleEventRoute } from "../../../src/services/routing";
import { sweep } from "../../../src/services/sweeper";
import { actionsPath, createAction, makeTrigger } from "../actions/helpers";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";

let sent: Task[];
beforeEach(() => {
  sent = [];
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: Task) => void sent.push(body) as never);
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: Iterable<MessageSendRequest<Task>>) => {
    for (const m of msgs) sent.push(m.body);
    return undefined as never;
  });
  vi.spyOn(env.DLQ, "send").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const SECOND = 1000;
const runRow = (id: string) => db().select().from(runs).where(eq(runs.runId, id)).get();
const actionRow = (id: string) => db().select().from(actions).where(eq(actions.actionId, id)).get();
const deliver = (run_id: string) => handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id });
const deliveries = (kind: Task["kind"]) => sent.filter((t) => t.kind === kind);
/** The sweeper as the minute cron runs it, at `ms` after now. */
const sweepAfter = (ms: number) => sweep(env, new Date(Date.now() + ms));

/** An endpoint at the outbound boundary: records webhook-ids, answers with `answer`. */
function endpoint(answer: () => Promise<Response> | Response = () => new Response("ok")) {
  const ids: string[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
    ids.push(new Headers(init?.headers).get("webhook-id") ?? "");
    return answer();
  });
  return ids;
}

async function triggered(t: Tenant, body: Record<string, unknown> = {}) {
  const ep = await makeEndpoint(t, "https://receiver.example/hook", { secret: `whsec_${btoa("recovery-secret-0123456789abcdef")}`, timeoutSeconds: 5 });
  const a = await createAction(t, { endpoint_id: ep, ...body });
  const r = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
  expect(r.status).toBe(200);
  return { actionId: a.action_id as string, runId: r.body.run_id as string, executionId: r.body.execution_id as string };
}

describe("run leases", () => {
  it("a D1 failure while recording leaves the run leased; the sweeper delivers it again with the same webhook-id and the counters stay exact", async () => {
    const t = await makeTenant();
    const { actionId, runId, executionId } = await triggered(t);
    const ids = endpoint();
    // Fault injection at the D1 binding: the 2nd batch of the attempt (record()'s write) fails.
    const realBatch = env.DB.batch.bind(env.DB);
    let n = 0;
    const batch = vi.spyOn(env.DB, "batch").mockImplementation(async (stmts) => (++n === 2 ? Promise.reject(new Error("D1_ERROR: simulated outage")) : realBatch(stmts)));
    await expect(deliver(runId)).rejects.toThrow(/simulated outage/);
    batch.mockRestore();
    const stuck = (await runRow(runId))!;
    expect(stuck.status).toBe("running");
    // Lease = the endpoint's 5 s timeout + the margin: not re-driven before it ends.
    expect(Date.parse(stuck.leaseUntil!) - Date.parse(stuck.startedAt!)).toBe((5 + LEASE_MARGIN_SECONDS) * SECOND);
    expect((await sweepAfter(10 * SECOND)).runs).toBe(0);
    expect((await sweepAfter((5 + LEASE_MARGIN_SECONDS + 5) * SECOND)).runs).toBe(1);
    expect(await runRow(runId)).toMatchObject({ status: "pending", recoveries: 1 });
    expect(deliveries("run.deliver").at(-1)).toEqual({ v: 1, kind: "run.deliver", run_id: runId });
    await deliver(runId);
    expect(ids).toEqual([executionId, executionId]);
    expect(await runRow(runId)).toMatchObject({ status: "success", leaseUntil: null });
    expect(await actionRow(actionId)).toMatchObject({ totalRuns: 1, successfulRuns: 1, failedRuns: 0, runningCount: 0 });
  });

  it("a claim the sweeper took back cannot record its late outcome over the new claim's", async () => {
    const t = await makeTenant();
    const { actionId, runId } = await triggered(t, { max_retries: 2 });
    const answers: ((r: Response) => void)[] = [];
    endpoint(() => new Promise<Response>((r) => answers.push(r)));
    const stale = deliver(runId);
    await vi.waitFor(() => expect(answers).toHaveLength(1));
    expect((await sweepAfter(10 * 60 * SECOND)).runs).toBe(1);
    const fresh = deliver(runId);
    await vi.waitFor(() => expect(answers).toHaveLength(2));
    // The stale claim answers first, while the new claim still runs: its failure must not land.
    answers[0]!(new Response("late failure", { status: 500 }));
    await stale;
    expect(await runRow(runId)).toMatchObject({ status: "running", recoveries: 1 });
    answers[1]!(new Response("ok"));
    await fresh;
    const rows = await db().select().from(runs).where(eq(runs.actionId, actionId));
    expect(rows).toHaveLength(1); // no retry attempt was created by the stale claim
    expect(rows[0]).toMatchObject({ status: "success", responseStatus: 200 });
    expect(await actionRow(actionId)).toMatchObject({ totalRuns: 1, successfulRuns: 1, failedRuns: 0, runningCount: 0 });
  });

  it("a pending run whose task was lost is enqueued again after its grace, and fails undeliverable after MAX_RECOVERIES", async () => {
    const t = await makeTenant();
    const { actionId, runId } = await triggered(t);
    sent = [];
    expect((await sweepAfter((OVERDUE_GRACE_SECONDS - 5) * SECOND)).runs).toBe(0);
    let ms = (OVERDUE_GRACE_SECONDS + 5) * SECOND;
    for (let i = 1; i <= MAX_RECOVERIES; i++) {
      expect((await sweepAfter(ms)).runs).toBe(1);
      expect(await runRow(runId)).toMatchObject({ status: "pending", recoveries: i });
      ms += 2 * 86_400 * SECOND; // past any grace
    }
    expect(deliveries("run.deliver")).toHaveLength(MAX_RECOVERIES);
    expect((await sweepAfter(ms)).failedRuns).toBe(1);
    expect(await runRow(runId)).toMatchObject({ status: "failed", errorCode: "undeliverable", leaseUntil: null });
    expect(await actionRow(actionId)).toMatchObject({ totalRuns: 1, failedRuns: 1, runningCount: 0 });
    expect((await sweepAfter(ms + 86_400 * SECOND)).failedRuns).toBe(0);
  });

  it("a retry whose delayed task is lost is re-driven after its delay plus the grace", async () => {
    const t = await makeTenant();
    const { actionId, runId } = await triggered(t, { max_retries: 1, retry_delay_seconds: 60 });
    endpoint(() => new Response("down", { status: 503 }));
    await deliver(runId);
    const next = (await db().select().from(runs).where(eq(runs.actionId, actionId))).find((r) => r.attempt === 2)!;
    expect(next.status).toBe("pending");
    expect((await sweepAfter((60 + OVERDUE_GRACE_SECONDS - 10) * SECOND)).runs).toBe(0);
    expect((await sweepAfter((60 + OVERDUE_GRACE_SECONDS + 10) * SECOND)).runs).toBe(1);
    expect(deliveries("run.deliver").at(-1)).toEqual({ v: 1, kind: "run.deliver", run_id: next.runId });
  });

  it("the consumer bounds one message's time: a hanging delivery is retried and does not hold the batch", async () => {
    const t = await makeTenant();
    const slow = await triggered(t);
    const fast = await triggered(t);
    let calls = 0;
    endpoint(() => (++calls === 1 ? new Promise<Response>(() => undefined) : new Response("ok")));
    const batch = createMessageBatch("switchyard-tasks", [
      { id: "slow", timestamp: new Date(), attempts: 1, body: { v: 1, kind: "run.deliver", run_id: slow.runId } },
      { id: "fast", timestamp: new Date(), attempts: 1, body: { v: 1, kind: "run.deliver", run_id: fast.runId } },
    ]);
    const ctx = createExecutionContext();
    await consumeTasks(batch as MessageBatch<unknown>, env, { message: 200, batch: 60_000 });
    const result = await getQueueResult(batch, ctx);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["slow"]);
    expect(result.explicitAcks).toEqual(["fast"]);
    expect(await runRow(fast.runId)).toMatchObject({ status: "success" });
    expect((await runRow(slow.runId))!.leaseUntil).not.toBeNull(); // the sweeper settles it
  });
});

describe("events and slots", () => {
  async function receivedEvent(t: Tenant, triggerId: string, ageSeconds: number, attempts = 0) {
    const eventId = uuidv7();
    await db().insert(events).values({
      eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: triggerId, providerId: "webhook", dedupKey: eventId, headers: {},
      body: "{}", status: "received", routeAttempts: attempts, receivedAt: new Date(Date.now() - ageSeconds * SECOND).toISOString(),
    });
    return eventId;
  }

  it("an acknowledged event left received past the grace is routed again; after MAX_ROUTE_ATTEMPTS it is failed with a reason", async () => {
    const t = await makeTenant();
    const trig = await makeTrigger(t);
    await createAction(t, { trigger_ids: [trig] });
    const fresh = await receivedEvent(t, trig, 10);
    const stale = await receivedEvent(t, trig, OVERDUE_GRACE_SECONDS + 10);
    const hopeless = await receivedEvent(t, trig, 30 * 86_400, MAX_ROUTE_ATTEMPTS);
    // Re-driven twice already: its grace is 4 × 120 s, so at 300 s it is left alone.
    const backingOff = await receivedEvent(t, trig, 300, 2);
    const r = await sweep(env, new Date());
    expect(r).toMatchObject({ events: 1, failedEvents: 1 });
    expect(deliveries("event.route")).toEqual([{ v: 1, kind: "event.route", event_id: stale }]);
    await handleEventRoute(env, { v: 1, kind: "event.route", event_id: stale });
    const row = (id: string) => db().select().from(events).where(eq(events.eventId, id)).get();
    expect(await row(stale)).toMatchObject({ status: "routed", routeAttempts: 1 });
    expect(await row(fresh)).toMatchObject({ status: "received", routeAttempts: 0 });
    expect(await row(backingOff)).toMatchObject({ status: "received", routeAttempts: 2 });
    expect((await row(hopeless))!.status).toBe("failed");
    expect((await row(hopeless))!.routeError).toMatch(/did not complete after 5 attempts; replay/);
    const listed = await api("GET", `/v1/orgs/${t.orgId}/events/${hopeless}`, { token: t.tokens.viewer });
    expect(listed.body).toMatchObject({ status: "failed", route_error: expect.stringContaining("replay") });
  });

  it("a dead-lettered event.route is recorded on the event and left for the sweeper", async () => {
    const t = await makeTenant();
    const trig = await makeTrigger(t);
    const id = await receivedEvent(t, trig, 1);
    await worker.queue(createMessageBatch("switchyard-dlq", [{ id: "d1", timestamp: new Date(), attempts: 5, body: { v: 1, kind: "event.route", event_id: id } }]) as never, env);
    const e = (await db().select().from(events).where(eq(events.eventId, id)).get())!;
    expect(e.status).toBe("received");
    expect(e.routeError).toMatch(/dead-lettered/);
  });

  it("a lost or dead-lettered schedule slot is fired once by the sweeper", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { schedule_type: "cron", cron_expression: "*/5 * * * *" });
    const due = "2030-01-01T00:05:00.000Z";
    await db().update(actions).set({ claimedDueAt: due, claimedAt: new Date(Date.now() - (OVERDUE_GRACE_SECONDS + 5) * SECOND).toISOString() }).where(eq(actions.actionId, a.action_id));
    await worker.queue(createMessageBatch("switchyard-dlq", [{ id: "s1", timestamp: new Date(), attempts: 5, body: { v: 1, kind: "action.scheduled", action_id: a.action_id, due_at: due } }]) as never, env);
    expect((await actionRow(a.action_id))!.lastError).toMatch(/dead-lettered/);
    expect((await sweep(env, new Date())).slots).toBe(1);
    const task = deliveries("action.scheduled")[0]!;
    expect(task).toEqual({ v: 1, kind: "action.scheduled", action_id: a.action_id, due_at: due });
    await worker.queue(createMessageBatch("switchyard-tasks", [{ id: "s2", timestamp: new Date(), attempts: 1, body: task }, { id: "s3", timestamp: new Date(), attempts: 1, body: task }]) as never, env);
    expect(await actionRow(a.action_id)).toMatchObject({ totalRuns: 1, claimedDueAt: null });
    expect((await sweep(env, new Date())).slots).toBe(0);
  });

  it("a dead-lettered trigger tick is recorded on the trigger and emitted by the sweeper", async () => {
    const t = await makeTenant();
    const id = await makeTrigger(t, "scheduled");
    const due = "2030-01-01T00:05:00.000Z";
    await worker.queue(createMessageBatch("switchyard-dlq", [{ id: "t1", timestamp: new Date(), attempts: 5, body: { v: 1, kind: "trigger.tick", project_trigger_id: id, due_at: due } }]) as never, env);
    const row = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)).get())!;
    expect(row.lastError).toMatch(/dead-lettered/);
    expect(row.claimedDueAt).toBe(due);
    expect((await sweepAfter((OVERDUE_GRACE_SECONDS + 5) * SECOND)).ticks).toBe(1);
    expect(deliveries("trigger.tick")).toEqual([{ v: 1, kind: "trigger.tick", project_trigger_id: id, due_at: due }]);
  });
});

describe("compensation when the queue refuses", () => {
  it("an approval whose enqueue is refused still stands and is delivered by the sweeper", async () => {
    const t = await makeTenant();
    const { runId } = await triggered(t, { approval_required: true });
    (env.TASKS.send as unknown as ReturnType<typeof vi.fn>).mockRejectedValueOnce(new Error("queue unavailable"));
    const res = await api("POST", `/v1/runs/${runId}/approve`, { token: t.tokens.editor, body: {} });
    expect(res.status).toBe(200);
    expect(res.body.status).toBe("pending");
    expect(deliveries("run.deliver")).toHaveLength(0);
    expect((await sweepAfter((OVERDUE_GRACE_SECONDS + 5) * SECOND)).runs).toBe(1);
    expect(deliveries("run.deliver")).toEqual([{ v: 1, kind: "run.deliver", run_id: runId }]);
    // Re-approving is refused as decided, and the run is not lost.
    expect(await releaseApprovedRun(db(), env, runId)).toBe(false);
  });

  it("a replay the queue refuses answers 503 and leaves no orphan copy", async () => {
    const t = await makeTenant();
    const trig = await makeTrigger(t);
    const original = uuidv7();
    await db().insert(events).values({ eventId: original, orgId: t.orgId, appId: t.appId, projectTriggerId: trig, providerId: "webhook", dedupKey: original, headers: {}, body: "{}", status: "routed", receivedAt: nowIso() });
    (env.TASKS.send as unknown as ReturnType<typeof vi.fn>).mockRejectedValueOnce(new Error("queue unavailable"));
    const res = await api("POST", `/v1/orgs/${t.orgId}/events/${original}/replay`, { token: t.tokens.runner });
    expect(res.status).toBe(503);
    expect(res.body.detail[0].type).toBe("queue_unavailable");
    const copies = await db().select().from(events).where(eq(events.replayOf, original));
    expect(copies).toHaveLength(0);
  });

  it("a pipeline whose advance task is lost is advanced by the sweeper", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example/hook");
    const a = await createAction(t, { endpoint_id: ep, name: "one" });
    const b = await createAction(t, { endpoint_id: ep, name: "two" });
    const p = await api("POST", "/api/v2/pipelines", { token: t.tokens.editor, body: { name: "p", app_id: t.appId, steps: [{ name: "one", action_id: a.action_id }, { name: "two", action_id: b.action_id }] } });
    expect(p.status).toBe(201);
    const run = await api("POST", "/api/v2/actions", { token: t.tokens.runner, body: { version: 1, action: "run", type: "pipeline", target: [p.body.pipeline_id] } });
    expect(run.status).toBe(200);
    endpoint();
    await deliver((deliveries("run.deliver")[0] as Extract<Task, { kind: "run.deliver" }>).run_id);
    // The advance was sent, and is now "lost": nobody hands it to the handler.
    expect(deliveries("pipeline.advance")).toHaveLength(1);
    const pr = (await db().select().from(pipelineRuns).where(eq(pipelineRuns.pipelineId, p.body.pipeline_id)).get())!;
    expect(pr.currentStep).toBe(0);
    expect((await sweepAfter(10 * SECOND)).pipelineRuns).toBe(0);
    expect((await sweepAfter((OVERDUE_GRACE_SECONDS + 5) * SECOND)).pipelineRuns).toBe(1);
    await handlePipelineAdvance(env, deliveries("pipeline.advance").at(-1) as never);
    const after = (await db().select().from(pipelineRuns).where(eq(pipelineRuns.pipelineRunId, pr.pipelineRunId)).get())!;
    expect(after).toMatchObject({ currentStep: 1, status: "running" });
    expect(after.lastError).toMatch(/re-driven/);
  });
});

describe("one run's render budget", () => {
  it("fails a run whose templates together exceed the budget with template_budget, not retried; a normal template renders", async () => {
    const t = await makeTenant();
    const loop = "{% for i in (1..600) %}{{ i }}{% endfor %}";
    // Each leaf alone is within the budget; together they are not.
    const heavy = await triggered(t, { max_retries: 3, payload: Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, loop])) });
    const light = await triggered(t, { payload: { one: loop } });
    endpoint();
    await deliver(heavy.runId);
    await deliver(light.runId);
    expect(await runRow(heavy.runId)).toMatchObject({ status: "failed", errorCode: "template_budget" });
    expect((await runRow(heavy.runId))!.errorMessage).toMatch(/budget exceeded/);
    expect(await db().select().from(runs).where(eq(runs.actionId, heavy.actionId))).toHaveLength(1);
    expect(await runRow(light.runId)).toMatchObject({ status: "success" });
  });
});
