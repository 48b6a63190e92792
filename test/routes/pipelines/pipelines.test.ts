import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { executions, pipelineRuns, pipelines, runs } from "../../../src/db/schema";
import { handlePipelineAdvance } from "../../../src/services/pipeline-engine";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { drain, makeAction, sentBodies, upstreamHandler } from "../durable/helpers";
import { MAX_ROUNDS, seeded, shuffle } from "../approvals/race";

// The queue is the platform boundary: tests capture tasks and drive the handlers themselves,
// so the pool's background consumer never races them.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

/** A receiver on a public-looking host; records every delivered JSON body. */
function receiver() {
  const got: unknown[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", async (req) => (got.push(await req.json()), new Response("ok"))));
  return got;
}

const act = (tenant: Tenant, body: Record<string, unknown>, token = tenant.tokens.editor) => api("POST", "/api/v2/actions", { token, body: { version: 1, ...body } });

async function setup(opts: { firstNeedsApproval?: boolean } = {}) {
  const tenant = await makeTenant();
  const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
  const a = await makeAction(tenant, ep, { name: "build", payload: { step: "build", target: "{{ env.TARGET }}", region: "{{ env.REGION }}" }, approvalRequired: opts.firstNeedsApproval });
  const b = await makeAction(tenant, ep, { name: "ship", payload: { step: "ship", target: "{{ env.TARGET }}" } });
  const created = await api("POST", "/api/v2/pipelines", {
    token: tenant.tokens.editor,
    body: { name: "release", app_id: tenant.appId, steps: [{ name: "build", action_id: a }, { name: "gate", type: "approval" }, { name: "ship", action_id: b }], variables: { TARGET: "staging", REGION: "eu" } },
  });
  expect(created.status).toBe(201);
  return { tenant, a, b, pipeline: created.body as { pipeline_id: string } };
}

describe("GET/POST /api/v2/pipelines", () => {
  it("creates and lists pipelines with the documented object", async () => {
    const { tenant, a, pipeline } = await setup();
    expect(pipeline).toMatchObject({
      _id: pipeline.pipeline_id,
      name: "release",
      description: null,
      app_id: tenant.appId,
      workspace_id: tenant.workspaceId,
      org_id: tenant.orgId,
      steps: [{ name: "build", action_id: a }, { name: "gate", type: "approval" }, { name: "ship", action_id: expect.any(String) }],
      variables: { TARGET: "staging", REGION: "eu" },
      state: "idle",
      current_step: null,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const list = await api("GET", "/api/v2/pipelines", { token: tenant.tokens.viewer });
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ total: 1, has_more: false, next_cursor: null });
    expect(list.body.pipelines[0].pipeline_id).toBe(pipeline.pipeline_id);
    const one = await api("GET", `/api/v2/pipelines/${pipeline.pipeline_id}`, { token: tenant.tokens.viewer });
    expect(one.status).toBe(200);
    expect(one.body).toEqual(list.body.pipelines[0]);
    const other = await makeTenant("other");
    expect((await api("GET", `/api/v2/pipelines/${pipeline.pipeline_id}`, { token: other.tokens.admin })).status).toBe(404);
    // The documented clone workflow: post the object back without _id/createdAt/updatedAt.
    const { _id, createdAt, updatedAt, ...copy } = list.body.pipelines[0];
    const clone = await api("POST", "/api/v2/pipelines", { token: tenant.tokens.editor, body: { ...copy, name: "release (copy)" } });
    expect(clone.status).toBe(201);
    expect(clone.body.pipeline_id).not.toBe(pipeline.pipeline_id);
  });

  it("names the field that is wrong and refuses other tenants and read-only roles", async () => {
    const { tenant } = await setup();
    const other = await makeTenant("other");
    const noSteps = await api("POST", "/api/v2/pipelines", { token: tenant.tokens.editor, body: { name: "x", app_id: tenant.appId, steps: [] } });
    expect(noSteps.status).toBe(422);
    expect(noSteps.body.detail[0].loc).toEqual(["body", "steps"]);
    const badStep = await api("POST", "/api/v2/pipelines", { token: tenant.tokens.editor, body: { name: "x", app_id: tenant.appId, steps: [{ name: "s" }] } });
    expect(badStep.status).toBe(422);
    expect(badStep.body.detail[0].loc).toEqual(["body", "steps", 0, "action_id"]);
    const foreignAction = await api("POST", "/api/v2/pipelines", { token: tenant.tokens.editor, body: { name: "x", app_id: tenant.appId, steps: [{ name: "s", action_id: "0193a5c8-0000-7000-8000-000000000001" }] } });
    expect(foreignAction.status).toBe(422);
    expect(foreignAction.body.detail[0].loc).toEqual(["body", "steps", 0, "action_id"]);
    const foreignApp = await api("POST", "/api/v2/pipelines", { token: other.tokens.editor, body: { name: "x", app_id: tenant.appId, steps: [{ name: "g", type: "approval" }] } });
    expect(foreignApp.status).toBe(404);
    expect((await api("POST", "/api/v2/pipelines", { token: tenant.tokens.runner, body: { name: "x", app_id: tenant.appId, steps: [{ name: "g", type: "approval" }] } })).status).toBe(403);
    expect((await api("GET", "/api/v2/pipelines", { token: other.tokens.viewer })).body.total).toBe(0);
    expect((await api("GET", "/api/v2/pipelines")).status).toBe(401);
  });
});

describe("pipeline engine", () => {
  it("runs steps in order through an approval gate; every step's templates see env", async () => {
    const { tenant, pipeline } = await setup();
    const got = receiver();
    const send = vi.spyOn(env.TASKS, "send");
    const run = await act(tenant, { action: "run", type: "pipeline", target: [pipeline.pipeline_id], settings: { env: { TARGET: "prod" } } });
    expect(run.status).toBe(200);
    const runId = run.body.results[0].data.pipeline_run_id as string;
    expect(run.body.results[0].data.env).toEqual({ TARGET: "prod", REGION: "eu" });
    await drain(send, 0);
    expect(got).toEqual([{ step: "build", target: "prod", region: "eu" }]);
    let status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] }, tenant.tokens.viewer);
    expect(status.body.results[0].data).toMatchObject({ state: "pending_approval", current_step: 1, current_run_id: runId });
    expect(status.body.results[0].data.runs[0].history.map((h: { status: string }) => h.status)).toEqual(["success", "pending_approval"]);
    // Runner may not approve; editor may.
    expect((await act(tenant, { action: "approve", type: "pipeline", target: [pipeline.pipeline_id] }, tenant.tokens.runner)).status).toBe(403);
    const approved = await act(tenant, { action: "approve", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(approved.status).toBe(200);
    const again = await act(tenant, { action: "approve", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(again.status).toBe(409);
    await drain(send, 0);
    expect(got).toEqual([{ step: "build", target: "prod", region: "eu" }, { step: "ship", target: "prod" }]);
    status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(status.body.results[0].data).toMatchObject({ state: "success", current_run_id: runId });
    const pr = (await db().select().from(pipelineRuns).where(eq(pipelineRuns.pipelineRunId, runId)))[0]!;
    expect(pr.status).toBe("success");
    // Redelivered advance tasks change nothing.
    await handlePipelineAdvance(env, { v: 1, kind: "pipeline.advance", pipeline_run_id: runId });
    expect((await db().select().from(pipelineRuns).where(eq(pipelineRuns.pipelineRunId, runId)))[0]!.status).toBe("success");
  });

  it("a rejected gate fails the pipeline and never starts the next step", async () => {
    const { tenant, pipeline } = await setup();
    const got = receiver();
    const send = vi.spyOn(env.TASKS, "send");
    await act(tenant, { action: "run", type: "pipeline", target: [pipeline.pipeline_id] });
    await drain(send, 0);
    const noMsg = await act(tenant, { action: "reject", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(noMsg.status).toBe(422);
    expect(noMsg.body.detail[0].loc).toEqual(["body", "message"]);
    const rej = await act(tenant, { action: "reject", type: "pipeline", target: [pipeline.pipeline_id], message: "bad build" });
    expect(rej.status).toBe(200);
    expect(rej.body.results[0].data).toMatchObject({ status: "rejected" });
    await drain(send, 0);
    expect(got).toHaveLength(1);
    const status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(status.body.results[0].data.state).toBe("failed");
    expect(status.body.results[0].data.runs[0].history[1]).toMatchObject({ status: "rejected", message: "bad build" });
  });

  it("stop cancels the waiting step (never delivered); reset needs a stopped pipeline", async () => {
    const { tenant, pipeline } = await setup({ firstNeedsApproval: true });
    const got = receiver();
    const send = vi.spyOn(env.TASKS, "send");
    const run = await act(tenant, { action: "run", type: "pipeline", target: [pipeline.pipeline_id] }, tenant.tokens.runner);
    const runId = run.body.results[0].data.pipeline_run_id as string;
    const busy = await act(tenant, { action: "reset", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(busy.status).toBe(409);
    expect(busy.body.results[0].error).toMatchObject({ code: "conflict", message: expect.stringMatching(/stop it before reset/) });
    const stop = await act(tenant, { action: "stop", type: "pipeline", target: [pipeline.pipeline_id] }, tenant.tokens.runner);
    expect(stop.status).toBe(200);
    expect(stop.body.results[0].data).toEqual({ stopped: [runId] });
    await drain(send, 0);
    expect(got).toHaveLength(0);
    const exec = (await db().select().from(executions).where(eq(executions.pipelineRunId, runId)))[0]!;
    expect(exec.status).toBe("cancelled");
    expect((await db().select().from(runs).where(eq(runs.executionId, exec.executionId)))[0]!.status).toBe("cancelled");
    let status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(status.body.results[0].data).toMatchObject({ state: "stopped", current_run_id: runId });
    expect((await act(tenant, { action: "stop", type: "pipeline", target: [pipeline.pipeline_id] })).status).toBe(409);
    const reset = await act(tenant, { action: "reset", type: "pipeline", target: [pipeline.pipeline_id] }, tenant.tokens.runner);
    expect(reset.status).toBe(200);
    status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(status.body.results[0].data).toMatchObject({ state: "idle", current_step: null, current_run_id: null });
  });

  it("approve on a pipeline whose action step waits for approval releases that step's run", async () => {
    const { tenant, pipeline } = await setup({ firstNeedsApproval: true });
    const got = receiver();
    const send = vi.spyOn(env.TASKS, "send");
    await act(tenant, { action: "run", type: "pipeline", target: [pipeline.pipeline_id] });
    await drain(send, 0);
    expect(got).toHaveLength(0);
    expect((await act(tenant, { action: "approve", type: "pipeline", target: [pipeline.pipeline_id] })).status).toBe(200);
    await drain(send, 0);
    expect(got).toHaveLength(1);
    const status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(status.body.results[0].data.state).toBe("pending_approval");
  });

  it("a failing step fails the run", async () => {
    const { tenant, pipeline } = await setup();
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", () => new Response("no", { status: 500 })));
    const send = vi.spyOn(env.TASKS, "send");
    await act(tenant, { action: "run", type: "pipeline", target: [pipeline.pipeline_id] });
    await drain(send, 0);
    const status = await act(tenant, { action: "status", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(status.body.results[0].data.state).toBe("failed");
    expect(status.body.results[0].data.runs[0].history[0].status).toBe("failed");
  });

  it("stop repairs a pipeline that claims to run without an active run, so reset works", async () => {
    const { tenant, pipeline } = await setup();
    await db().update(pipelines).set({ state: "running", currentStep: 0 }).where(eq(pipelines.pipelineId, pipeline.pipeline_id));
    expect((await act(tenant, { action: "reset", type: "pipeline", target: [pipeline.pipeline_id] })).status).toBe(409);
    const stop = await act(tenant, { action: "stop", type: "pipeline", target: [pipeline.pipeline_id] });
    expect(stop.body.results[0]).toMatchObject({ ok: true, data: { stopped: [] } });
    expect((await act(tenant, { action: "reset", type: "pipeline", target: [pipeline.pipeline_id] })).status).toBe(200);
  });

  it("20 concurrent gate decisions in seeded random orders until both sides have won: exactly one wins, the next step is delivered once iff approve won", async () => {
    const rand = seeded("pipeline gate race");
    const winners = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS && winners.size < 2; round++) {
      vi.restoreAllMocks();
      vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
      vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
      const { tenant, pipeline } = await setup();
      const got = receiver();
      const send = vi.spyOn(env.TASKS, "send");
      const run = await act(tenant, { action: "run", type: "pipeline", target: [pipeline.pipeline_id] });
      const runId = run.body.results[0].data.pipeline_run_id as string;
      const at = await drain(send, 0);
      expect(got).toHaveLength(1); // the build step, before the gate
      const kinds = shuffle(rand, Array.from({ length: 20 }, (_, i) => (i % 2 ? "approve" : "reject")));
      const res = await Promise.all(
        kinds.map((kind) => act(tenant, kind === "approve" ? { action: "approve", type: "pipeline", target: [pipeline.pipeline_id] } : { action: "reject", type: "pipeline", target: [pipeline.pipeline_id], message: "no" })),
      );
      expect(res.filter((r) => r.status === 200)).toHaveLength(1);
      const lost = res.filter((r) => r.status === 409);
      expect(lost).toHaveLength(19);
      for (const l of lost) expect(l.body.results[0].error.message).toMatch(/^pipeline already (approved|rejected) by /);
      await drain(send, at);
      const execs = await db().select().from(executions).where(eq(executions.pipelineRunId, runId));
      const approved = res.find((r) => r.status === 200)!.body.action === "approve";
      winners.add(approved ? "approve" : "reject");
      expect(execs).toHaveLength(approved ? 2 : 1);
      // Deliveries counted at the receiver: the ship step exactly once when approved, never when rejected.
      expect(got.filter((b) => (b as { step?: string }).step === "ship")).toHaveLength(approved ? 1 : 0);
      expect(got).toHaveLength(approved ? 2 : 1);
    }
    expect([...winners].sort(), `both winners within ${MAX_ROUNDS} rounds`).toEqual(["approve", "reject"]);
  }, 180_000);
});
