import { createScheduledController, env, runInDurableObject } from "cloudflare:test";
import { eq, inArray } from "drizzle-orm";
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { events, executions, orgs, pipelineRuns, runs } from "../../../src/db/schema";
import { triggerStateFor } from "../../../src/durable/client";
import type { TriggerState } from "../../../src/durable/trigger-state";
import worker from "../../../src/index";
import { purgeExpired } from "../../../src/services/retention";
import { ADMIN, api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { makeAction } from "../durable/helpers";
import { seedEvent, seedRun } from "../console/seed";

const NOW = new Date();
const daysAgo = (d: number) => new Date(NOW.getTime() - d * 86_400_000).toISOString();
const OLD = daysAgo(40);
const RECENT = daysAgo(2);
// Every test makes fresh orgs; enough passes that other files' orgs never use up the budget.
const ALL = { passes: 1000 };

async function tenantWithAction(): Promise<{ t: Tenant; act: string }> {
  const t = await makeTenant();
  const act = await makeAction(t, await makeEndpoint(t, "https://receiver.test/hook"));
  return { t, act };
}
/** An event with one execution and run, all stamped `at`. */
async function eventWithRun(t: Tenant, act: string, at: string, status: Parameters<typeof seedRun>[2]["status"], body?: string) {
  const eventId = await seedEvent(t, { receivedAt: at, ...(body ? { body } : {}) });
  const r = await seedRun(t, act, { triggeredAt: at, status }, { eventId, updatedAt: at });
  return { eventId, ...r };
}
const exists = async (table: typeof events | typeof runs | typeof executions, col: any, id: string) =>
  (await db().select().from(table as typeof events).where(eq(col, id))).length === 1;

describe("retention: purgeExpired", () => {
  it("deletes only final events, executions and runs older than retention; non-final ones stay", async () => {
    const { t, act } = await tenantWithAction();
    const expired = await eventWithRun(t, act, OLD, "success");
    const expiredFailed = await eventWithRun(t, act, OLD, "failed");
    const young = await eventWithRun(t, act, RECENT, "success");
    const open = await Promise.all((["pending", "running", "pending_approval"] as const).map((s) => eventWithRun(t, act, OLD, s)));
    // A status this code has never heard of (another branch adds `held`) counts as non-final.
    const held = await eventWithRun(t, act, OLD, "held" as "pending");
    const unrouted = await seedEvent(t, { receivedAt: OLD, status: "received" });
    const lonely = await seedEvent(t, { receivedAt: OLD, status: "unmatched" });

    const res = await purgeExpired(env, NOW, ALL);
    expect(res).toEqual(expect.objectContaining({ events: 3, executions: 2, runs: 2 }));
    for (const gone of [expired, expiredFailed]) {
      expect(await exists(events, events.eventId, gone.eventId)).toBe(false);
      expect(await exists(executions, executions.executionId, gone.executionId)).toBe(false);
      expect(await exists(runs, runs.runId, gone.runId)).toBe(false);
    }
    expect(await exists(events, events.eventId, lonely)).toBe(false);
    for (const kept of [young, ...open, held]) {
      expect(await exists(events, events.eventId, kept.eventId)).toBe(true);
      expect(await exists(executions, executions.executionId, kept.executionId)).toBe(true);
      expect(await exists(runs, runs.runId, kept.runId)).toBe(true);
    }
    expect(await exists(events, events.eventId, unrouted)).toBe(true);
    // Idempotent: a second invocation finds nothing more.
    expect(await purgeExpired(env, NOW, ALL)).toEqual(expect.objectContaining({ events: 0, executions: 0, runs: 0 }));
  });

  it("keeps an execution whose retried attempt is still open, and the pipeline run of a live pipeline", async () => {
    const { t, act } = await tenantWithAction();
    const r = await eventWithRun(t, act, OLD, "failed");
    await db().insert(runs).values({ runId: uuidv7(), orgId: t.orgId, workspaceId: t.workspaceId, actionId: act, executionId: r.executionId, attempt: 2, triggerType: "api", triggeredAt: OLD, status: "pending" });
    const livePr = uuidv7();
    const donePr = uuidv7();
    await db().insert(pipelineRuns).values([
      { pipelineRunId: livePr, orgId: t.orgId, pipelineId: "p1", status: "running", triggerType: "api", createdAt: OLD, updatedAt: OLD },
      { pipelineRunId: donePr, orgId: t.orgId, pipelineId: "p1", status: "success", triggerType: "api", createdAt: OLD, updatedAt: OLD },
    ]);
    const step = await seedRun(t, act, { triggeredAt: OLD, status: "success" }, { pipelineRunId: livePr, stepIndex: 0, updatedAt: OLD });
    const doneStep = await seedRun(t, act, { triggeredAt: OLD, status: "success" }, { pipelineRunId: donePr, stepIndex: 0, updatedAt: OLD });

    const res = await purgeExpired(env, NOW, ALL);
    expect(await exists(runs, runs.runId, r.runId)).toBe(true);
    expect(await exists(events, events.eventId, r.eventId)).toBe(true);
    expect(await exists(executions, executions.executionId, step.executionId)).toBe(true);
    expect(await exists(executions, executions.executionId, doneStep.executionId)).toBe(false);
    const prs = await db().select().from(pipelineRuns).where(inArray(pipelineRuns.pipelineRunId, [livePr, donePr]));
    expect(prs.map((p) => p.pipelineRunId)).toEqual([livePr]);
    expect(res.pipelineRuns).toBe(1);
  });

  it("holds its bounds per invocation: at most `passes` passes of `batch` rows, a few statements each", async () => {
    const t = await makeTenant();
    for (let i = 0; i < 7; i++) await seedEvent(t, { receivedAt: OLD, status: "unmatched" });
    const first = await purgeExpired(env, NOW, { passes: 2, batch: 3 });
    expect(first.passes).toBe(2);
    expect(first.events).toBe(6);
    expect(first.statements).toBeLessThanOrEqual(1 + 2 * 8);
    const left = await db().select().from(events).where(eq(events.orgId, t.orgId));
    expect(left).toHaveLength(1);
    // The default bounds, through the minute cron (an isolated part of it).
    const ctl = createScheduledController({ scheduledTime: NOW.getTime(), cron: "* * * * *" });
    await worker.scheduled(ctl, env);
    expect(await db().select().from(events).where(eq(events.orgId, t.orgId))).toHaveLength(0);
  });

  it("drops large bodies early and keeps their metadata", async () => {
    const { t, act } = await tenantWithAction();
    const big = "x".repeat(70_000);
    const largeOld = await eventWithRun(t, act, daysAgo(8), "success", big);
    const largeYoung = await seedEvent(t, { receivedAt: daysAgo(6), body: big });
    const smallOld = await seedEvent(t, { receivedAt: daysAgo(8) });
    const res = await purgeExpired(env, NOW, ALL);
    expect(res.bodies).toBe(1);
    const row = await db().select().from(events).where(eq(events.eventId, largeOld.eventId)).get();
    expect(row).toEqual(expect.objectContaining({ body: "", bodyPurgedAt: NOW.toISOString(), status: "routed" }));
    expect(await exists(runs, runs.runId, largeOld.runId)).toBe(true);
    expect((await db().select().from(events).where(eq(events.eventId, largeYoung)).get())!.body).toBe(big);
    expect((await db().select().from(events).where(eq(events.eventId, smallOld)).get())!.bodyPurgedAt).toBeNull();
    // The events API shows it, and refuses to replay an empty body.
    const got = await api("GET", `/v1/orgs/${t.orgId}/events/${largeOld.eventId}`, { token: t.tokens.viewer });
    expect(got.body).toEqual(expect.objectContaining({ body: "", body_purged_at: NOW.toISOString() }));
    const replay = await api("POST", `/v1/orgs/${t.orgId}/events/${largeOld.eventId}/replay`, { token: t.tokens.runner });
    expect(replay.status).toBe(409);
    expect(replay.body.detail[0].msg).toMatch(/dropped by retention/);
  });

  it("drops the approval records of purged runs and pipeline runs from their Durable Object", async () => {
    const { t, act } = await tenantWithAction();
    const decided = await seedRun(t, act, { triggeredAt: OLD, status: "rejected", decidedBy: "u1" }, { updatedAt: OLD });
    const kept = await seedRun(t, act, { triggeredAt: RECENT, status: "rejected", decidedBy: "u1" }, { updatedAt: RECENT });
    const pr = uuidv7();
    await db().insert(pipelineRuns).values({ pipelineRunId: pr, orgId: t.orgId, pipelineId: "pl-forget", status: "rejected", triggerType: "api", createdAt: OLD, updatedAt: OLD });
    const actionDo = triggerStateFor(env, `action:${act}`);
    const pipelineDo = triggerStateFor(env, "pipeline:pl-forget");
    await runInDurableObject(actionDo, async (_o: TriggerState, s) => {
      for (const id of [decided.runId, kept.runId]) s.storage.sql.exec("INSERT INTO decisions VALUES (?, 'reject', 'u1', NULL, ?)", id, OLD);
    });
    await runInDurableObject(pipelineDo, async (_o: TriggerState, s) => {
      s.storage.sql.exec("INSERT INTO gate_decisions VALUES (?, 0, 'reject', 'u1', NULL, ?)", pr, OLD);
    });
    const res = await purgeExpired(env, NOW, ALL);
    expect(res.forgotten).toBe(2);
    const left = await runInDurableObject(actionDo, async (_o: TriggerState, s) => s.storage.sql.exec<{ run_id: string }>("SELECT run_id FROM decisions").toArray().map((r) => r.run_id));
    expect(left).toEqual([kept.runId]);
    const gates = await runInDurableObject(pipelineDo, async (_o: TriggerState, s) => s.storage.sql.exec("SELECT * FROM gate_decisions").toArray());
    expect(gates).toEqual([]);
  });
});

describe("GET/PUT /v1/orgs/{org_id}/retention", () => {
  it("a per-org override shortens retention for that org only", async () => {
    const a = await tenantWithAction();
    const b = await tenantWithAction();
    const inA = await eventWithRun(a.t, a.act, daysAgo(10), "success");
    const inB = await eventWithRun(b.t, b.act, daysAgo(10), "success");
    const put = await api("PUT", `/v1/orgs/${a.t.orgId}/retention`, { token: a.t.tokens.admin, body: { retention_days: 7 } });
    expect(put.status).toBe(200);
    expect(put.body).toEqual(expect.objectContaining({ org_id: a.t.orgId, retention_days: 7, override_days: 7, default_days: 30, large_body_retention_days: 7, large_body_bytes: 65536 }));
    await purgeExpired(env, NOW, ALL);
    expect(await exists(events, events.eventId, inA.eventId)).toBe(false);
    expect(await exists(events, events.eventId, inB.eventId)).toBe(true);
    const got = await api("GET", `/v1/orgs/${a.t.orgId}/retention`, { token: a.t.tokens.viewer });
    expect(got.body.purged).toEqual({ events: 1, executions: 1, runs: 1, bodies: 0, last_purge_at: NOW.toISOString() });
    const back = await api("PUT", `/v1/orgs/${a.t.orgId}/retention`, { token: ADMIN, body: { retention_days: null } });
    expect(back.body).toEqual(expect.objectContaining({ retention_days: 30, override_days: null }));
  });

  it("is admin-only to change and tenant-scoped: another org's token gets 404, no token 401, bad input 422", async () => {
    const a = await makeTenant();
    const b = await makeTenant();
    const path = `/v1/orgs/${a.orgId}/retention`;
    for (const role of ["editor", "runner", "viewer"] as const) {
      expect((await api("PUT", path, { token: a.tokens[role], body: { retention_days: 1 } })).status).toBe(403);
    }
    expect((await api("PUT", path, { token: b.tokens.admin, body: { retention_days: 1 } })).status).toBe(404);
    expect((await api("GET", path, { token: b.tokens.admin })).status).toBe(404);
    expect((await api("GET", path)).status).toBe(401);
    const doc = await api("GET", "/openapi.json");
    expect(Object.keys(doc.body.paths[path.replace(a.orgId, "{org_id}")])).toEqual(expect.arrayContaining(["get", "put"]));
    const bad = await api("PUT", path, { token: a.tokens.admin, body: { retention_days: -1 } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail[0].loc).toEqual(["body", "retention_days"]);
    expect((await db().select().from(orgs).where(eq(orgs.orgId, a.orgId)).get())!.retentionDays).toBeNull();
  });

  it("the metrics API counts what was purged", async () => {
    const { t, act } = await tenantWithAction();
    await eventWithRun(t, act, OLD, "success");
    await seedEvent(t, { receivedAt: daysAgo(8), body: "y".repeat(70_000) });
    await purgeExpired(env, NOW, ALL);
    const m = await api("GET", `/v1/orgs/${t.orgId}/metrics`, { token: t.tokens.viewer });
    expect(m.status).toBe(200);
    expect(m.body.purged).toEqual({ events: 1, executions: 1, runs: 1, bodies: 1, last_purge_at: NOW.toISOString() });
  });
});
