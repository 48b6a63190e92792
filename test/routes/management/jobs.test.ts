/**
 * Bulk jobs: POST …/runs/retry and POST …/events/replay, the job resource, and the job.step
 * worker. The queue is the platform boundary: TASKS.send / sendBatch are captured, and the
 * tests play the consumer by handing each captured task to its exported handler (`drain`),
 * which lets them duplicate, interleave and drop steps deterministically.
 */
import { createScheduledController, env } from "cloudflare:test";
import { and, eq, inArray } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { auditLog, events, jobs, runs } from "../../../src/db/schema";
import worker from "../../../src/index";
import { handleRunDeliver } from "../../../src/services/delivery";
import { handleJobStep, JOB_BATCH } from "../../../src/services/jobs";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { seedEvent, seedRun } from "../console/seed";
import { makeAction, makeTrigger } from "../durable/helpers";

type Sent = { kind: string; [k: string]: any };
let sent: Sent[];
/** Called for each task as it is sent (tests use it to interleave a second step). */
let onSend: ((t: Sent) => Promise<void>) | null;

beforeEach(() => {
  sent = [];
  onSend = null;
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: any) => {
    sent.push(body);
    if (onSend) await onSend(body);
    return undefined as never;
  });
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: any) => {
    for (const m of msgs) sent.push(m.body);
    return undefined as never;
  });
  vi.spyOn(env.DLQ, "send").mockImplementation(async () => undefined as never);
  // The endpoint: every delivery succeeds.
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok", { status: 200 }));
});
afterEach(() => vi.restoreAllMocks());

const step = (job_id: string) => handleJobStep(env, { v: 1, kind: "job.step", job_id });
/** Plays the queue: every captured job.step and run.deliver, in order, until nothing new was sent. */
async function drain(from = 0): Promise<number> {
  let i = from;
  while (i < sent.length) {
    const t = sent[i++]!;
    if (t.kind === "job.step") await step(t.job_id);
    if (t.kind === "run.deliver") await handleRunDeliver(env, t as never);
  }
  return i;
}
const sentOf = (kind: string) => sent.filter((t) => t.kind === kind);
const jobRow = (id: string) => db().select().from(jobs).where(eq(jobs.jobId, id)).get();
const attemptsOf = async (executionIds: string[]) => {
  const rows = await db().select().from(runs).where(inArray(runs.executionId, executionIds));
  const n = new Map<string, number>();
  for (const r of rows) n.set(r.executionId, (n.get(r.executionId) ?? 0) + 1);
  return executionIds.map((e) => n.get(e) ?? 0);
};

// Seeded runs are a few hours old, so every one is before a job's frozen `until` (its creation).
const T0 = Date.now() - 4 * 3_600_000;
const at = (minutes: number) => new Date(T0 + minutes * 60_000).toISOString();

/** A tenant with one action on one endpoint and `n` failed runs (one execution each), triggered a minute apart. */
async function withFailedRuns(n: number, t?: Tenant) {
  t ??= await makeTenant("jobs");
  const endpointId = await makeEndpoint(t, "https://receiver.example.com/hook");
  const actionId = await makeAction(t, endpointId);
  const seeded = [];
  for (let i = 0; i < n; i++) seeded.push(await seedRun(t, actionId, { triggeredAt: at(i), status: "failed" }));
  return { t, actionId, endpointId, seeded, executions: seeded.map((s) => s.executionId) };
}
const retry = (t: Tenant, body: unknown, token = t.tokens.runner) => api("POST", `/v1/orgs/${t.orgId}/runs/retry`, { token, body });
const replay = (t: Tenant, body: unknown, token = t.tokens.runner) => api("POST", `/v1/orgs/${t.orgId}/events/replay`, { token, body });
const getJob = (t: Tenant, id: string, token = t.tokens.viewer) => api("GET", `/v1/orgs/${t.orgId}/jobs/${id}`, { token });
const exact = (j: { total: number; done: number; failed: number; skipped: number }) => expect(j.done + j.failed + j.skipped).toBe(j.total);

describe("POST /v1/orgs/{org_id}/runs/retry", () => {
  it("dry_run counts the matches and changes nothing", async () => {
    const { t, actionId } = await withFailedRuns(3);
    await seedRun(t, actionId, { triggeredAt: at(10), status: "success" });
    const runsBefore = await db().select().from(runs).where(eq(runs.orgId, t.orgId));
    const res = await retry(t, { filter: {}, dry_run: true });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ dry_run: true, total: 3 });
    expect(await db().select().from(jobs).where(eq(jobs.orgId, t.orgId))).toEqual([]);
    expect(await db().select().from(runs).where(eq(runs.orgId, t.orgId))).toEqual(runsBefore);
    expect(sent).toEqual([]);
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.orgId, t.orgId), eq(auditLog.action, "job.dry_run"))).get();
    expect(audit?.details).toEqual({ kind: "runs.retry", filter: {}, total: 3 });
  });

  it(`a job over N failed runs (more than one batch of ${JOB_BATCH}) retries each exactly once and counts exactly`, async () => {
    const n = JOB_BATCH + 10;
    const { t, actionId, executions } = await withFailedRuns(n);
    // Matched but not retriable: a failed pipeline step is skipped, not failed.
    const step0 = await seedRun(t, actionId, { triggeredAt: at(n + 1), status: "failed" }, { pipelineRunId: uuidv7(), stepIndex: 0 });
    const res = await retry(t, { filter: {} });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: "runs.retry", status: "queued", total: n + 1, done: 0, failed: 0, skipped: 0, cursor: null, org_id: t.orgId });
    expect(res.body.filter).toEqual({ status: "failed", until: res.body.created_at });
    await drain();
    const job = (await getJob(t, res.body.job_id)).body;
    expect(job).toMatchObject({ status: "succeeded", total: n + 1, done: n, failed: 0, skipped: 1, finished_at: expect.any(String) });
    exact(job);
    expect(await attemptsOf(executions)).toEqual(executions.map(() => 2));
    expect(await attemptsOf([step0.executionId])).toEqual([1]);
    const delivered = sentOf("run.deliver").map((t) => t.run_id);
    expect(new Set(delivered).size).toBe(n);
    expect(delivered).toHaveLength(n);
    // The receiver got one delivery per execution, and the retried attempts succeeded.
    expect(vi.mocked(globalThis.fetch)).toHaveBeenCalledTimes(n);
    const latest = await db().select().from(runs).where(and(eq(runs.orgId, t.orgId), eq(runs.attempt, 2)));
    expect(latest.map((r) => r.status)).toEqual(latest.map(() => "success"));
    // A second job over the same filter now finds nothing failed to retry.
    expect((await retry(t, { filter: {}, dry_run: true })).body.total).toBe(1);
    const list = await api("GET", `/v1/orgs/${t.orgId}/jobs`, { token: t.tokens.viewer });
    expect(list.body).toMatchObject({ total: 1, has_more: false, next_cursor: null, jobs: [{ job_id: res.body.job_id, status: "succeeded" }] });
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.orgId, t.orgId), eq(auditLog.action, "job.create"))).get();
    expect(audit).toMatchObject({ targetType: "job", targetId: res.body.job_id, result: "success", statusCode: 202 });
    expect(audit?.details).toMatchObject({ kind: "runs.retry", filter: {}, frozen_filter: res.body.filter, total: n + 1 });
  });

  it("duplicated and concurrent job.step deliveries do not retry twice or double-count", async () => {
    const n = JOB_BATCH + 5;
    const { t, executions } = await withFailedRuns(n);
    const id = (await retry(t, { filter: {} })).body.job_id;
    // The first step delivered three times: twice at once, then once more after them.
    await Promise.all([step(id), step(id)]);
    await step(id);
    await drain();
    const job = (await jobRow(id))!;
    expect(job).toMatchObject({ status: "succeeded", total: n, done: n, failed: 0, skipped: 0 });
    expect(await attemptsOf(executions)).toEqual(executions.map(() => 2));
    expect(sentOf("run.deliver")).toHaveLength(n);
  });

  it("a step arriving while another holds the batch does nothing (its lease)", async () => {
    const { t, executions } = await withFailedRuns(5);
    const id = (await retry(t, { filter: {} })).body.job_id;
    let nested = false;
    onSend = async (task) => {
      if (task.kind !== "run.deliver" || nested) return;
      nested = true;
      await step(id); // a duplicate step, in the middle of the first one's batch
    };
    await drain();
    expect(nested).toBe(true);
    expect(await jobRow(id)).toMatchObject({ status: "succeeded", total: 5, done: 5, skipped: 0 });
    expect(await attemptsOf(executions)).toEqual([2, 2, 2, 2, 2]);
  });

  it("a step whose lease was taken over records nothing: counts stay exact", async () => {
    const { t, executions } = await withFailedRuns(5);
    const id = (await retry(t, { filter: {} })).body.job_id;
    let nested = false;
    onSend = async (task) => {
      if (task.kind !== "run.deliver" || nested) return;
      nested = true;
      // The first step looks dead (its lease ran out): a re-driven step takes the batch over.
      await db().update(jobs).set({ leaseUntil: new Date(Date.now() - 1000).toISOString() }).where(eq(jobs.jobId, id));
      await step(id);
    };
    await drain();
    const job = (await jobRow(id))!;
    exact(job);
    expect(job).toMatchObject({ status: "succeeded", total: 5, failed: 0 });
    // The run the first step retried before it was overtaken is counted as skipped by the new holder.
    expect(job.done).toBe(4);
    expect(await attemptsOf(executions)).toEqual([2, 2, 2, 2, 2]);
  });

  it("cancel stops the job at its next step; cancelling a finished job is 409", async () => {
    const n = JOB_BATCH + 10;
    const { t, executions } = await withFailedRuns(n);
    const id = (await retry(t, { filter: {} })).body.job_id;
    await step(id);
    const c = await api("POST", `/v1/orgs/${t.orgId}/jobs/${id}/cancel`, { token: t.tokens.runner });
    expect(c.status).toBe(200);
    expect(c.body).toMatchObject({ status: "cancelled", done: JOB_BATCH, finished_at: expect.any(String) });
    await drain();
    expect(await jobRow(id)).toMatchObject({ status: "cancelled", done: JOB_BATCH, cursor: expect.any(String) });
    const attempts = await attemptsOf(executions);
    expect(attempts.filter((a) => a === 2)).toHaveLength(JOB_BATCH);
    expect(attempts.filter((a) => a === 1)).toHaveLength(10);
    const again = await api("POST", `/v1/orgs/${t.orgId}/jobs/${id}/cancel`, { token: t.tokens.runner });
    expect(again.status).toBe(409);
    expect(again.body.detail[0]).toMatchObject({ type: "conflict", loc: [], input: null, ctx: {} });
    const audit = await db().select().from(auditLog).where(and(eq(auditLog.orgId, t.orgId), eq(auditLog.action, "job.cancel")));
    expect(audit.map((a) => [a.targetId, a.statusCode])).toEqual(expect.arrayContaining([[id, 200], [id, 409]]));
  });

  it("filters select exactly: status, action_id, endpoint_id, since (inclusive), until (exclusive), latest attempt only", async () => {
    const t = await makeTenant("filters");
    const ep1 = await makeEndpoint(t, "https://one.example.com/hook");
    const ep2 = await makeEndpoint(t, "https://two.example.com/hook");
    const a1 = await makeAction(t, ep1);
    const a2 = await makeAction(t, ep2);
    const f1 = await seedRun(t, a1, { triggeredAt: at(1), status: "failed" });
    const f2 = await seedRun(t, a1, { triggeredAt: at(2), status: "failed" });
    const f3 = await seedRun(t, a2, { triggeredAt: at(3), status: "failed" });
    await seedRun(t, a2, { triggeredAt: at(4), status: "success" });
    // An execution whose attempt 1 failed and attempt 2 failed too: only attempt 2 is its latest.
    const twice = await seedRun(t, a2, { triggeredAt: at(5), status: "failed" });
    await db().insert(runs).values({ runId: uuidv7(), orgId: t.orgId, workspaceId: t.workspaceId, actionId: a2, executionId: twice.executionId, attempt: 2, triggerType: "api", triggeredAt: at(6), status: "failed", completedAt: at(6) });
    const count = async (filter: object) => {
      const r = await retry(t, { filter, dry_run: true });
      expect(r.status, JSON.stringify(r.body)).toBe(200);
      return r.body.total;
    };
    expect(await count({})).toBe(4);
    expect(await count({ status: "success" })).toBe(1);
    expect(await count({ action_id: a1 })).toBe(2);
    expect(await count({ endpoint_id: ep2 })).toBe(2);
    expect(await count({ endpoint_id: ep1, action_id: a2 })).toBe(0);
    expect(await count({ since: at(2) })).toBe(3);
    expect(await count({ until: at(2) })).toBe(1);
    expect(await count({ since: at(2), until: at(3) })).toBe(1);
    // An id that is not of this org (another org's, or none) is a 422 on that field, the same for both.
    const other = await withFailedRuns(1);
    for (const filter of [{ action_id: other.actionId }, { action_id: uuidv7() }, { endpoint_id: other.endpointId }]) {
      const r = await retry(t, { filter, dry_run: true });
      expect(r.status).toBe(422);
      expect(r.body.detail[0]).toMatchObject({ loc: ["body", "filter", Object.keys(filter)[0]], msg: expect.stringMatching(/not found in this org/) });
    }
    // A job over successes retries nothing: each match is skipped.
    const ok = await retry(t, { filter: { status: "success" } });
    await drain();
    expect(await jobRow(ok.body.job_id)).toMatchObject({ status: "succeeded", total: 1, done: 0, skipped: 1 });
    // The worker uses the same selection: a job over endpoint 1 retries exactly f1 and f2.
    const job = await retry(t, { filter: { endpoint_id: ep1 } });
    await drain();
    expect(await jobRow(job.body.job_id)).toMatchObject({ status: "succeeded", total: 2, done: 2, skipped: 0 });
    expect(await attemptsOf([f1.executionId, f2.executionId, f3.executionId])).toEqual([2, 2, 1]);
  });

  it("the matching set is frozen at creation: a failure after it is not swept in", async () => {
    const { t, actionId, executions } = await withFailedRuns(3);
    const res = await retry(t, { filter: { until: new Date(Date.now() + 86_400_000).toISOString() } });
    expect(res.body.filter.until).toBe(res.body.created_at);
    const late = await seedRun(t, actionId, { triggeredAt: new Date(Date.now() + 1000).toISOString(), status: "failed" });
    await drain();
    expect(await jobRow(res.body.job_id)).toMatchObject({ status: "succeeded", total: 3, done: 3, skipped: 0 });
    expect(await attemptsOf([...executions, late.executionId])).toEqual([2, 2, 2, 1]);
  });

  it("answers 503 queue_unavailable and leaves the job failed when the queue refuses", async () => {
    const { t } = await withFailedRuns(2);
    vi.mocked(env.TASKS.send).mockRejectedValueOnce(new Error("queue down"));
    const res = await retry(t, { filter: {} });
    expect(res.status).toBe(503);
    expect(res.body.detail[0]).toMatchObject({ type: "queue_unavailable", loc: [], input: null, ctx: {} });
    const [job] = await db().select().from(jobs).where(eq(jobs.orgId, t.orgId));
    expect(job).toMatchObject({ status: "failed", total: 2, done: 0, error: expect.stringMatching(/queue is unavailable/), finishedAt: expect.any(String) });
  });

  it("the minute cron re-drives an open job untouched for 2 minutes, and only that one", async () => {
    const { t } = await withFailedRuns(2);
    const stale = (await retry(t, { filter: {} })).body.job_id;
    const fresh = (await retry(t, { filter: {}, dry_run: false })).body.job_id;
    await db().update(jobs).set({ updatedAt: new Date(Date.now() - 121_000).toISOString() }).where(eq(jobs.jobId, stale));
    sent = [];
    await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: "* * * * *" }), env);
    const redriven = sentOf("job.step").map((s) => s.job_id);
    expect(redriven).toContain(stale);
    expect(redriven).not.toContain(fresh);
    await drain();
    expect(await jobRow(stale)).toMatchObject({ status: "succeeded", total: 2, done: 2 });
  });

  it("bad filters get 422 with the standard error shape", async () => {
    const t = await makeTenant("bad");
    const cases: [unknown, (string | number)[]][] = [
      [{ filter: { state: "failed" } }, ["body", "filter"]],
      [{ filter: { status: "pending" } }, ["body", "filter", "status"]],
      [{ filter: { since: "yesterday" } }, ["body", "filter", "since"]],
      [{ filter: { until: "2026-13-45" } }, ["body", "filter", "until"]],
      [{ filter: { since: "2026-02-01T00:00:00Z", until: "2026-01-01T00:00:00Z" } }, ["body", "filter", "since"]],
      [{ filter: {}, dry_run: "yes" }, ["body", "dry_run"]],
      [{}, ["body", "filter"]],
    ];
    for (const [body, loc] of cases) {
      const r = await retry(t, body);
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.detail[0].loc, JSON.stringify(body)).toEqual(loc);
      expect(Object.keys(r.body.detail[0]).sort()).toEqual(["ctx", "input", "loc", "msg", "type"]);
      expect(r.body.detail[0]).toMatchObject({ msg: expect.any(String), type: expect.any(String), ctx: expect.any(Object) });
    }
    const foreign = await replay(t, { filter: { trigger_id: uuidv7() } });
    expect([foreign.status, foreign.body.detail[0].loc]).toEqual([422, ["body", "filter", "trigger_id"]]);
    const ev = await replay(t, { filter: { status: "received" } });
    expect(ev.status).toBe(422);
    expect(ev.body.detail[0].loc).toEqual(["body", "filter", "status"]);
    expect(await db().select().from(jobs).where(eq(jobs.orgId, t.orgId))).toEqual([]);
  });
});

describe("job routes: roles and tenancy", () => {
  it("a viewer is refused (403) on create and cancel but may read; another org's token gets 404 everywhere", async () => {
    const { t: a } = await withFailedRuns(1);
    const b = await makeTenant("other");
    const id = (await retry(a, { filter: {} })).body.job_id;
    expect((await retry(a, { filter: {} }, a.tokens.viewer)).status).toBe(403);
    expect((await retry(a, { filter: {}, dry_run: true }, a.tokens.viewer)).status).toBe(403);
    expect((await replay(a, { filter: {} }, a.tokens.viewer)).status).toBe(403);
    expect((await api("POST", `/v1/orgs/${a.orgId}/jobs/${id}/cancel`, { token: a.tokens.viewer })).status).toBe(403);
    expect((await getJob(a, id, a.tokens.viewer)).status).toBe(200);
    expect((await api("GET", `/v1/orgs/${a.orgId}/jobs`, { token: a.tokens.viewer })).status).toBe(200);
    for (const token of [b.tokens.admin, b.tokens.viewer]) {
      expect((await retry(a, { filter: {} }, token)).status).toBe(404);
      expect((await retry(a, { filter: {}, dry_run: true }, token)).status).toBe(404);
      expect((await replay(a, { filter: {} }, token)).status).toBe(404);
      expect((await getJob(a, id, token)).status).toBe(404);
      expect((await api("GET", `/v1/orgs/${a.orgId}/jobs`, { token })).status).toBe(404);
      expect((await api("POST", `/v1/orgs/${a.orgId}/jobs/${id}/cancel`, { token })).status).toBe(404);
      // A's job through B's own org is the same 404 as a job that does not exist.
      const viaB = await api("GET", `/v1/orgs/${b.orgId}/jobs/${id}`, { token: b.tokens.admin });
      const none = await api("GET", `/v1/orgs/${b.orgId}/jobs/${uuidv7()}`, { token: b.tokens.admin });
      expect([viaB.status, viaB.body]).toEqual([404, none.body]);
    }
    expect((await api("POST", `/v1/orgs/${b.orgId}/jobs/${id}/cancel`, { token: b.tokens.admin })).status).toBe(404);
    expect(await jobRow(id)).toMatchObject({ status: "queued" });
    expect((await db().select().from(jobs).where(eq(jobs.orgId, a.orgId))).length).toBe(1);
  });
});

describe("POST /v1/orgs/{org_id}/events/replay", () => {
  it("makes one copy per matched event, even when steps are duplicated; filters on trigger, status, type and time", async () => {
    const t = await makeTenant("replay");
    const trigger = () => makeTrigger(t, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {} });
    const [trgA, trgB] = [await trigger(), await trigger()];
    const e1 = await seedEvent(t, { receivedAt: at(1), projectTriggerId: trgA, eventType: "invoice.paid" });
    const e2 = await seedEvent(t, { receivedAt: at(2), projectTriggerId: trgA, eventType: "invoice.void", status: "unmatched" });
    const e3 = await seedEvent(t, { receivedAt: at(3), projectTriggerId: trgB, eventType: "invoice.paid" });
    const purged = await seedEvent(t, { receivedAt: at(4), projectTriggerId: trgA, body: "", bodyPurgedAt: at(5) });
    const count = async (filter: object) => (await replay(t, { filter, dry_run: true })).body.total;
    expect(await count({})).toBe(4);
    expect(await count({ trigger_id: trgA })).toBe(3);
    expect(await count({ status: "unmatched" })).toBe(1);
    expect(await count({ event_type: "invoice.paid" })).toBe(2);
    expect(await count({ since: at(2), until: at(4) })).toBe(2);

    const res = await replay(t, { filter: { trigger_id: trgA } });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ kind: "events.replay", total: 3, filter: { trigger_id: trgA, until: res.body.created_at } });
    await Promise.all([step(res.body.job_id), step(res.body.job_id)]);
    await drain();
    // And once more after the end (a late redelivery): nothing changes.
    await step(res.body.job_id);
    const job = (await jobRow(res.body.job_id))!;
    expect(job).toMatchObject({ status: "succeeded", total: 3, done: 2, failed: 0, skipped: 1 });
    const copies = await db().select().from(events).where(and(eq(events.orgId, t.orgId), inArray(events.replayOf, [e1, e2, e3, purged])));
    expect(copies.map((c) => c.replayOf).sort()).toEqual([e1, e2].sort());
    expect(copies.every((c) => c.status === "received" && c.projectTriggerId === trgA)).toBe(true);
    expect(sentOf("event.route").map((s) => s.event_id).sort()).toEqual(copies.map((c) => c.eventId).sort());
  });
});

describe("events replay job: a batch worked twice", () => {
  it("a step overtaken mid-batch still leaves exactly one copy per event (the job's replay key)", async () => {
    const t = await makeTenant("replay-twice");
    const trg = await makeTrigger(t, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {} });
    const originals = [await seedEvent(t, { receivedAt: at(1), projectTriggerId: trg }), await seedEvent(t, { receivedAt: at(2), projectTriggerId: trg })];
    const id = (await replay(t, { filter: { trigger_id: trg } })).body.job_id;
    let nested = false;
    onSend = async (task) => {
      if (task.kind !== "event.route" || nested) return;
      nested = true;
      // The first step looks dead after its first replay: a re-driven step redoes the whole batch.
      await db().update(jobs).set({ leaseUntil: new Date(Date.now() - 1000).toISOString() }).where(eq(jobs.jobId, id));
      await step(id);
    };
    await drain();
    expect(nested).toBe(true);
    const copies = await db().select().from(events).where(and(eq(events.orgId, t.orgId), inArray(events.replayOf, originals)));
    expect(copies.map((c) => c.replayOf).sort()).toEqual([...originals].sort());
    const job = (await jobRow(id))!;
    expect(job).toMatchObject({ status: "succeeded", total: 2, done: 2, failed: 0, skipped: 0 });
  });
});
