/**
 * Every query the code sends to `runs`, `executions` and `actions` reads them through an
 * index. The test drives the real verbs (delivery with retries, holds, FIFO, circuit probes
 * and drains, approvals, cancels, routing, schedules, pipelines, every runs list, metrics,
 * endpoint health, jobs, the sweeper, retention, org deletion) against the migrated schema,
 * records each statement with its parameters, and asks SQLite for its plan: a `SCAN runs`
 * without `USING … INDEX` (a full table scan) fails, naming the verb and the statement. So a
 * dropped or changed index cannot silently turn a list, a sweep or a purge into a scan.
 * Without statistics SQLite takes any `org_id = ?` index for a selective one, so the queries
 * whose right index matters most are also pinned to it (EXPECTED below).
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { SYSTEM_ACTOR, type Ctx } from "../../../src/core/context";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { encodeCursor } from "../../../src/core/pagination";
import { getDb } from "../../../src/db/client";
import { actions, endpoints, events, pipelines, runs, triggers } from "../../../src/db/schema";
import { taskStatus, taskStop } from "../../../src/faces/unified/tasks";
import { listPendingApprovals } from "../../../src/services/approvals";
import { handleEndpointDrain, releaseFifoHeads, superviseCircuits, superviseFifo } from "../../../src/services/circuit";
import { handleRunDeliver } from "../../../src/services/delivery";
import { eventRuns } from "../../../src/services/events";
import { releaseApprovedRun, startExecution } from "../../../src/services/executions";
import { countMatches, freezeFilter, nextMatches } from "../../../src/services/job-filters";
import { createJob, handleJobStep } from "../../../src/services/jobs";
import { endpointHealth, orgMetrics } from "../../../src/services/metrics";
import { deleteOrg } from "../../../src/services/orgs";
import { advancePipelineRun, startPipelineRun, stepExecution, stopPipeline } from "../../../src/services/pipeline-engine";
import { purgeExpired } from "../../../src/services/retention";
import { handleEventRoute } from "../../../src/services/routing";
import { getOrgRun, listOrgRuns, listRuns, retryRun } from "../../../src/services/runs";
import { claimDueActions, handleActionScheduled } from "../../../src/services/schedules";
import { sweep } from "../../../src/services/sweeper";
import { db, makeEndpoint, makeTenant } from "../../fixtures";
import { fullScans, namesOf, planOf, recordingEnv, type Sent } from "./plans";

const GUARDED = ["runs", "executions", "actions"] as const;

/** Statements (matched on their SQL) and the index their plan must use. Each must be sent at least once. */
const EXPECTED: { what: string; sql: RegExp; plan: RegExp }[] = [
  { what: "sweeper: expired leases", sql: /from "runs" where \("runs"\."lease_until" is not null/, plan: /SEARCH runs USING INDEX runs_lease \(lease_until>\? AND lease_until<\?\)/ },
  { what: "retention: expired executions' runs", sql: /^DELETE FROM runs /, plan: /^SEARCH runs USING INDEX runs_execution .*SEARCH e USING INDEX executions_final \(org_id=\? AND updated_at<\?\)/ },
  { what: "retention: expired executions", sql: /^DELETE FROM executions /, plan: /^SEARCH executions USING INDEX sqlite_autoindex_executions_1 .*SEARCH e USING INDEX executions_final \(org_id=\? AND updated_at<\?\)/ },
  { what: "retention: events no execution refers to", sql: /^DELETE FROM events /, plan: /SEARCH x USING INDEX executions_event_action \(event_id=\?\).*SEARCH x USING INDEX executions_event_pipeline \(event_id=\?\)/ },
  { what: "routing: candidate actions of the events' own orgs and apps only", sql: /from "actions" where \("actions"\."org_id" IN \(SELECT value FROM json_each/, plan: /^SEARCH actions USING INDEX actions_app \(org_id=\? AND app_id=\?\)/ },
  { what: "routing: executions of a routed event, by id", sql: /^INSERT INTO "executions"/, plan: /SEARCH e EXISTS USING INDEX sqlite_autoindex_events_1 \(event_id=\?\)/ },
  { what: "routing: first runs of the executions just created", sql: /^INSERT INTO "runs"/, plan: /SEARCH x EXISTS USING COVERING INDEX sqlite_autoindex_executions_1 \(execution_id=\?\)/ },
  { what: "routing: counters of the executions just created", sql: /^UPDATE actions SET total_runs = total_runs \+ n\.c/, plan: /SEARCH executions USING INDEX sqlite_autoindex_executions_1 \(execution_id=\?\).*SEARCH actions USING INDEX sqlite_autoindex_actions_1 \(action_id=\?\)/ },
  { what: "schedule: the slot's execution", sql: /"executions"\."slot" = \?/, plan: /executions_action_slot \(action_id=\? AND slot=\?\)/ },
  { what: "pipeline: a step's execution", sql: /"executions"\."step_index" = \?/, plan: /executions_pipeline_run \(pipeline_run_id=\? AND step_index=\?\)/ },
  { what: "task stop: an action's open executions", sql: /"executions"\."action_id" = \? and "executions"\."status" in/, plan: /executions_action \(org_id=\? AND action_id=\?\)/ },
  { what: "a run's attempts", sql: /"runs"\."execution_id" = \?\) order by "runs"\."attempt"/, plan: /^SEARCH runs USING INDEX runs_execution \(execution_id=\?\)$/ },
  { what: "approvals inbox", sql: /where \("runs"\."org_id" = \? and "runs"\."status" = \?\) order by "runs"\."run_id" asc/, plan: /^SEARCH runs USING INDEX runs_org_status \(org_id=\? AND status=\?\)/ },
  { what: "org runs list, newest first", sql: /from "runs" where "runs"\."org_id" = \? order by "runs"\."run_id" desc/, plan: /^SEARCH runs USING INDEX runs_org \(org_id=\?\)$/ },
  { what: "metrics: runs by status per bucket", sql: /count\(\*\) from "runs" where \("runs"\."org_id" = \? and "runs"\."triggered_at" >= \? and "runs"\."triggered_at" < \?\) group by/, plan: /COVERING INDEX runs_org_time/ },
  { what: "FIFO: an older open run of the key", sql: /FROM runs o WHERE o\.org_id = \? AND o\.status IN/, plan: /SEARCH o USING INDEX runs_org_status \(org_id=\? AND status=\?\)/ },
];

afterEach(() => vi.restoreAllMocks());

/** Answers every outbound delivery with `status`. */
const endpointAnswers = (status: number) => vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("x", { status }));

async function makeAction(t: Awaited<ReturnType<typeof makeTenant>>, endpointId: string, more: Partial<typeof actions.$inferInsert> = {}): Promise<typeof actions.$inferSelect> {
  const at = nowIso();
  const [row] = await db()
    .insert(actions)
    .values({ actionId: uuidv7(), orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, endpointId, name: "a", namespaceId: "ns", createdBy: "test", createdAt: at, updatedAt: at, ...more })
    .returning();
  return row!;
}

describe("query plans of runs, executions and actions", () => {
  it("reads every one of them through an index (no full table scan) in every verb that touches them", async () => {
    const t = await makeTenant("plans");
    const fifoEp = await makeEndpoint(t, "https://receiver.example/fifo");
    await db().update(endpoints).set({ ordering: "fifo" }).where(eq(endpoints.endpointId, fifoEp));
    const openEp = await makeEndpoint(t, "https://receiver.example/open");
    const plainEp = await makeEndpoint(t, "https://receiver.example/plain");
    const at = nowIso();
    const triggerId = uuidv7();
    await db().insert(triggers).values({ projectTriggerId: triggerId, orgId: t.orgId, projectId: t.appId, providerId: "webhook", triggerId: "on_any_event", triggerType: "webhook", status: "ENABLED", createdBy: "test", createdAt: at, updatedAt: at });
    const fifo = await makeAction(t, fifoEp, { maxRetries: 1, retryDelaySeconds: 1, triggerIds: [triggerId] });
    const held = await makeAction(t, openEp);
    const approve = await makeAction(t, plainEp, { approvalRequired: true });
    const plain = await makeAction(t, plainEp);
    const scheduled = await makeAction(t, plainEp, { scheduleType: "cron", cronExpression: "* * * * *", timezone: "UTC", nextRunAt: "2000-01-01T00:00:00.000Z" });
    const pipelineId = uuidv7();
    await db().insert(pipelines).values({ pipelineId, orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, name: "p", steps: [{ name: "one", action_id: plain.actionId }], createdBy: "test", createdAt: at, updatedAt: at });
    const eventId = uuidv7();
    await db().insert(events).values({ eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: triggerId, providerId: "webhook", dedupKey: eventId, headers: {}, body: "{}", receivedAt: at });

    const verbs: { name: string; sent: Sent[] }[] = [];
    /** Runs one verb with a recording env and keeps what it sent. */
    const verb = async (name: string, fn: (e: ReturnType<typeof recordingEnv>, ctx: Ctx) => Promise<unknown>) => {
      const sent: Sent[] = [];
      const e = recordingEnv(sent);
      await fn(e, { db: getDb(e.DB), env: e, actor: SYSTEM_ACTOR, requestId: "plans" });
      verbs.push({ name, sent });
    };
    const scope = { orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId };
    const future = new Date(Date.now() + 400 * 86_400_000);

    // Delivery: success, a retried failure (attempt 2 fails for good), routing an event.
    endpointAnswers(200);
    await verb("startExecution + deliver (success, FIFO endpoint)", async (e) => {
      const s = await startExecution(getDb(e.DB), e, { action: fifo, triggerType: "api" });
      await handleRunDeliver(e, { v: 1, kind: "run.deliver", run_id: s.run_id });
    });
    await verb("route an event", (e) => handleEventRoute(e, { v: 1, kind: "event.route", event_id: eventId }));
    vi.restoreAllMocks();
    endpointAnswers(500);
    let failedRun = "";
    await verb("deliver failing: retry, then final failure", async (e) => {
      const s = await startExecution(getDb(e.DB), e, { action: plain, triggerType: "api" });
      await db().update(actions).set({ maxRetries: 1 }).where(eq(actions.actionId, plain.actionId));
      await handleRunDeliver(e, { v: 1, kind: "run.deliver", run_id: s.run_id });
      const next = await db().select().from(runs).where(eq(runs.executionId, s.execution_id)).all();
      failedRun = next.find((r) => r.attempt === 2)!.runId;
      await handleRunDeliver(e, { v: 1, kind: "run.deliver", run_id: failedRun });
    });
    vi.restoreAllMocks();

    // FIFO: an older run of the key still running holds the next one; the heads are released later.
    await verb("FIFO hold and release", async (e) => {
      const first = await startExecution(getDb(e.DB), e, { action: fifo, triggerType: "api" });
      const second = await startExecution(getDb(e.DB), e, { action: fifo, triggerType: "api" });
      await db().update(runs).set({ status: "running", orderKey: "" }).where(eq(runs.runId, first.run_id));
      await handleRunDeliver(e, { v: 1, kind: "run.deliver", run_id: second.run_id });
      await superviseFifo(e);
      await releaseFifoHeads(getDb(e.DB), e, { orgId: t.orgId, endpointId: fifoEp });
    });

    // Circuit: a run to an open endpoint is held; the cron probes it; a closed endpoint drains.
    await db().update(endpoints).set({ circuitState: "open", nextProbeAt: "2000-01-01T00:00:00.000Z" }).where(eq(endpoints.endpointId, openEp));
    await verb("circuit hold, probe, drain", async (e) => {
      const a = await startExecution(getDb(e.DB), e, { action: held, triggerType: "api" });
      await startExecution(getDb(e.DB), e, { action: held, triggerType: "api" });
      await handleRunDeliver(e, { v: 1, kind: "run.deliver", run_id: a.run_id });
      await superviseCircuits(e, new Date());
      await db().update(endpoints).set({ circuitState: "closed" }).where(eq(endpoints.endpointId, openEp));
      await handleEndpointDrain(e, { v: 1, kind: "endpoint.drain", endpoint_id: openEp });
      await superviseCircuits(e, new Date());
    });

    // Approvals and cancels.
    await verb("approvals inbox, approve, cancel", async (e, ctx) => {
      const a = await startExecution(getDb(e.DB), e, { action: approve, triggerType: "api" });
      await startExecution(getDb(e.DB), e, { action: approve, triggerType: "api" });
      await listPendingApprovals(ctx, t.orgId);
      await releaseApprovedRun(getDb(e.DB), e, a.run_id, "test");
      await taskStop(ctx, approve.actionId, "stop");
    });

    // Schedules and pipelines.
    await verb("schedule claim and slot", async (e) => {
      await claimDueActions(e, new Date());
      await handleActionScheduled(e, { v: 1, kind: "action.scheduled", action_id: scheduled.actionId, due_at: "2000-01-01T00:00:00.000Z" });
    });
    await verb("pipeline start, step, advance, stop", async (e) => {
      const run = await startPipelineRun(getDb(e.DB), e, { pipelineId, orgId: t.orgId, triggerType: "pipeline", invokedBy: "test" });
      const row = { pipelineRunId: run.pipeline_run_id, orgId: t.orgId } as Parameters<typeof stepExecution>[1];
      await stepExecution(getDb(e.DB), row, 0);
      await advancePipelineRun(getDb(e.DB), e, run.pipeline_run_id);
      await stopPipeline(getDb(e.DB), e, { pipelineId, orgId: t.orgId, actorId: "test" });
    });

    // Reads: every runs list and filter, one run, an event's runs, a task, metrics, endpoint health.
    await verb("runs lists and reads", async (_e, ctx) => {
      const page = { limit: 10 };
      await listOrgRuns(ctx, t.orgId, {}, page);
      await listOrgRuns(ctx, t.orgId, { status: "failed" }, page);
      await listOrgRuns(ctx, t.orgId, { action_id: plain.actionId }, page);
      await listOrgRuns(ctx, t.orgId, { action_id: plain.actionId, status: "success" }, { limit: 10, cursor: encodeCursor(failedRun) });
      await listRuns(ctx, scope, plain.actionId, { limit: 10 });
      await listRuns(ctx, scope, plain.actionId, { status: "failed", limit: 10 });
      await getOrgRun(ctx, t.orgId, failedRun);
      await eventRuns(ctx, t.orgId, eventId);
      await taskStatus(ctx, plain.actionId);
      await orgMetrics(ctx, t.orgId, {});
      await endpointHealth(ctx, t.orgId, {});
    });

    // Retry of a failed run, and bulk retry jobs with each filter.
    await verb("retry and jobs", async (e, ctx) => {
      await retryRun(ctx, t.orgId, failedRun);
      const asOf = new Date(Date.now() + 1000).toISOString();
      for (const f of [{}, { action_id: plain.actionId }, { endpoint_id: plainEp }, { since: "2000-01-01T00:00:00Z", status: "success" as const }]) {
        const frozen = freezeFilter("runs.retry", f, asOf);
        await countMatches(getDb(e.DB), t.orgId, "runs.retry", frozen, asOf);
        await nextMatches(getDb(e.DB), t.orgId, "runs.retry", frozen, asOf, null, 50);
        await nextMatches(getDb(e.DB), t.orgId, "runs.retry", frozen, asOf, failedRun, 50);
      }
      const created = await createJob(ctx, t.orgId, "runs.retry", { filter: { status: "failed" } });
      if (created.dry_run) throw new Error("not a dry run");
      await handleJobStep(e, { v: 1, kind: "job.step", job_id: created.job.job_id });
    });

    // The minute cron's sweeper (expired leases, overdue runs, the give-up path) and retention.
    await db().update(runs).set({ recoveries: 5 }).where(eq(runs.runId, failedRun));
    await verb("sweeper", (e) => sweep(e, future));
    await db().update(runs).set({ status: "failed", leaseUntil: null, completedAt: at }).where(eq(runs.orgId, t.orgId));
    await verb("retention", (e) => purgeExpired(e, future));
    await verb("org deletion", (_e, ctx) => deleteOrg(ctx, t.orgId));

    const problems: string[] = [];
    const matched = new Set<string>();
    let checked = 0;
    for (const v of verbs) {
      for (const s of v.sent) {
        const names = namesOf(s.sql, GUARDED);
        if (names.size === 0) continue;
        checked++;
        const plan = await planOf(s);
        const scans = fullScans(plan, names);
        for (const e of EXPECTED) {
          if (!e.sql.test(s.sql.trim())) continue;
          matched.add(e.what);
          if (!e.plan.test(plan.join(" | "))) problems.push(`${v.name}: ${e.what} should use ${e.plan}\n  plan: ${plan.join(" | ")}`);
        }
        if (scans.length) problems.push(`${v.name}: ${scans.join("; ")}\n  ${s.sql.slice(0, 300)}\n  plan: ${plan.join(" | ")}`);
      }
    }
    expect(problems).toEqual([]);
    expect(EXPECTED.map((e) => e.what).filter((w) => !matched.has(w))).toEqual([]);
    // The verbs really reached the tables (a broken fixture must not pass by sending nothing).
    expect(checked).toBeGreaterThan(80);
  });
});
