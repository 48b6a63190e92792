import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { Webhook } from "standardwebhooks";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { actions, executions, runs } from "../../../src/db/schema";
import { handleRunDeliver } from "../../../src/services/delivery";
import { api, db, makeEndpoint, makeTenant } from "../../fixtures";
import { actionsPath, createAction } from "./helpers";

const SECRET = "whsec_" + btoa("switchyard-test-signing-key-0001");
let sends: { body: any; opts: any }[];
let dlq: any[];

beforeEach(() => {
  sends = [];
  dlq = [];
  // The queue is the platform boundary: capture what is enqueued instead of letting the pool consume it.
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: any, opts?: any) => void sends.push({ body, opts }) as any);
  vi.spyOn(env.DLQ, "send").mockImplementation(async (body: any) => void dlq.push(body) as any);
});
afterEach(() => vi.restoreAllMocks());

/** Acts as the endpoint at the outbound boundary and records each request. */
function receiver(answer: (req: Request) => Promise<Response> | Response) {
  const seen: { req: Request; body: string }[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const req = new Request(input as RequestInfo, init);
    seen.push({ req, body: await req.clone().text() });
    return answer(req);
  });
  return seen;
}

const deliver = (run_id: string) => handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id });
const runRow = (id: string) => db().select().from(runs).where(eq(runs.runId, id)).get();
const actionRow = (id: string) => db().select().from(actions).where(eq(actions.actionId, id)).get();

describe("trigger → delivery", () => {
  it("delivers the rendered payload, signed, and records success", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.example.com/hook", { secret: SECRET });
    const a = await createAction(t, {
      endpoint_id: ep,
      payload: { text: "hello {{ inputs.who }}", n: "{{ inputs.n }}", who: "{% if user %}person{% else %}token{% endif %}" },
      headers_template: { "x-reason": "{{ inputs.who | upcase }}" },
      thread_mode: "template",
      thread_id_template: "thread-{{ inputs.who }}",
    });
    const res = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner, body: { inputs: { who: "ann", n: 3 } } });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ action_id: a.action_id, status: "pending" });
    expect(typeof res.body.message).toBe("string");
    expect(sends).toEqual([{ body: { v: 1, kind: "run.deliver", run_id: res.body.run_id }, opts: undefined }]);

    const seen = receiver(() => new Response("thanks", { status: 202 }));
    await deliver(res.body.run_id);
    expect(seen).toHaveLength(1);
    const { req, body } = seen[0]!;
    expect(req.method).toBe("POST");
    expect(req.url).toBe("https://receiver.example.com/hook");
    expect(JSON.parse(body)).toEqual({ text: "hello ann", n: 3, who: "token" });
    expect(req.headers.get("content-type")).toBe("application/json");
    expect(req.headers.get("x-reason")).toBe("ANN");
    expect(req.headers.get("x-switchyard-thread-id")).toBe("thread-ann");
    expect(req.headers.get("webhook-id")).toBe(res.body.execution_id);
    const hdrs = Object.fromEntries(req.headers);
    expect(new Webhook(SECRET).verify(body, hdrs)).toEqual({ text: "hello ann", n: 3, who: "token" });

    const run = await api("GET", `${actionsPath(t)}/${a.action_id}/runs/${res.body.run_id}`, { token: t.tokens.viewer });
    expect(run.body).toMatchObject({
      run_id: res.body.run_id, execution_id: res.body.execution_id, status: "success", attempt: 1, trigger_type: "api",
      resolved_payload: { text: "hello ann", n: 3, who: "token" }, resolved_thread_id: "thread-ann", response_status: 202,
      response_body: "thanks", error_code: null, error_message: null,
    });
    expect(run.body.duration_seconds).toBeGreaterThanOrEqual(0);
    expect(run.body.started_at).toBeTruthy();
    expect(run.body.completed_at).toBeTruthy();
    const after = (await api("GET", `${actionsPath(t)}/${a.action_id}`, { token: t.tokens.viewer })).body;
    expect(after).toMatchObject({ total_runs: 1, successful_runs: 1, failed_runs: 0, is_running: false, last_run_status: "success", last_execution_id: res.body.execution_id });
    // Redelivery of the same task does nothing.
    await deliver(res.body.run_id);
    expect(seen).toHaveLength(1);
  });

  it("retries a non-2xx answer with backoff, then fails the execution and dead-letters it", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { max_retries: 2, retry_delay_seconds: 10 });
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    const seen = receiver(() => new Response("boom", { status: 503 }));
    let runId = trig.body.run_id as string;
    for (const delay of [10, 20]) {
      sends = [];
      await deliver(runId);
      const failed = await runRow(runId);
      expect(failed).toMatchObject({ status: "failed", errorCode: "http_503", responseStatus: 503, responseBody: "boom" });
      expect(sends).toHaveLength(1);
      expect(sends[0]!.opts).toEqual({ delaySeconds: delay });
      runId = sends[0]!.body.run_id;
      expect(await runRow(runId)).toMatchObject({ status: "pending", attempt: failed!.attempt + 1, executionId: trig.body.execution_id });
      expect((await actionRow(a.action_id))!.runningCount).toBe(1);
    }
    sends = [];
    await deliver(runId);
    expect(seen).toHaveLength(3);
    expect(sends).toEqual([]);
    expect(dlq).toEqual([{ v: 1, kind: "run.deliver", run_id: runId }]);
    expect(await db().select().from(executions).where(eq(executions.executionId, trig.body.execution_id)).get()).toMatchObject({ status: "failed" });
    expect(await actionRow(a.action_id)).toMatchObject({ totalRuns: 1, successfulRuns: 0, failedRuns: 1, runningCount: 0, lastRunStatus: "failed" });
    const list = await api("GET", `${actionsPath(t)}/${a.action_id}/runs?status=failed`, { token: t.tokens.viewer });
    expect(list.body.total).toBe(3);
    expect(list.body.runs.map((r: any) => r.attempt)).toEqual([3, 2, 1]);
  });

  it("writes the execution row twice (started, final): it stays pending, untouched, through every attempt and between them", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { max_retries: 1, retry_delay_seconds: 10 });
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    const execRow = () => db().select().from(executions).where(eq(executions.executionId, trig.body.execution_id)).get();
    const started = (await execRow())!;
    expect(started).toMatchObject({ status: "pending", updatedAt: started.createdAt });
    // The endpoint looks at the execution while each attempt is in flight (the run is `running` then).
    const during: unknown[] = [];
    let answer = 503;
    receiver(async () => {
      during.push(await execRow());
      return new Response("", { status: answer });
    });
    sends = [];
    await deliver(trig.body.run_id);
    const between = await execRow();
    answer = 200;
    await deliver(sends[0]!.body.run_id);
    const untouched = { status: "pending", updatedAt: started.createdAt };
    expect(during).toEqual([expect.objectContaining(untouched), expect.objectContaining(untouched)]);
    expect(between).toMatchObject(untouched);
    const final = (await execRow())!;
    expect(final.status).toBe("success");
    expect(final.updatedAt > started.createdAt).toBe(true);
    // The counters still change once for the execution.
    expect(await actionRow(a.action_id)).toMatchObject({ totalRuns: 1, successfulRuns: 1, failedRuns: 0, runningCount: 0 });
  });

  it("records a timeout", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://slow.example.com/", { timeoutSeconds: 1 });
    const a = await createAction(t, { endpoint_id: ep });
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    vi.spyOn(globalThis, "fetch").mockImplementation(
      (_i: RequestInfo | URL, init?: RequestInit) => new Promise((_, reject) => init?.signal?.addEventListener("abort", () => reject(init.signal!.reason))),
    );
    await deliver(trig.body.run_id);
    expect(await runRow(trig.body.run_id)).toMatchObject({ status: "failed", errorCode: "timeout" });
    expect((await runRow(trig.body.run_id))!.durationSeconds).toBeGreaterThanOrEqual(0.9);
    expect(dlq).toHaveLength(1);
  });

  it("records a network error", async () => {
    const t = await makeTenant();
    const a = await createAction(t);
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    vi.spyOn(globalThis, "fetch").mockRejectedValue(new TypeError("Network connection lost."));
    await deliver(trig.body.run_id);
    expect(await runRow(trig.body.run_id)).toMatchObject({ status: "failed", errorCode: "network_error", errorMessage: "request failed: Network connection lost." });
  });

  it("refuses private-network endpoints by policy without calling them, and does not retry", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "http://10.1.2.3/internal");
    const a = await createAction(t, { endpoint_id: ep, max_retries: 3 });
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    const seen = receiver(() => new Response("no"));
    sends = [];
    await deliver(trig.body.run_id);
    expect(seen).toHaveLength(0);
    expect(sends).toHaveLength(0);
    expect(await runRow(trig.body.run_id)).toMatchObject({ status: "failed", errorCode: "outbound_policy" });
  });

  it("fails with template_error (no retry) when a template breaks at render time", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { max_retries: 3 });
    // Bypass create-time validation to simulate a template that only fails while rendering.
    await db().update(actions).set({ payload: { x: "{{ 'a' | nosuchfilter }}" } }).where(eq(actions.actionId, a.action_id));
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    receiver(() => new Response("ok"));
    sends = [];
    await deliver(trig.body.run_id);
    expect(await runRow(trig.body.run_id)).toMatchObject({ status: "failed", errorCode: "template_error" });
    expect(sends).toHaveLength(0);
  });

  it("fails with invalid_header (no retry) when a rendered header is not valid HTTP", async () => {
    const t = await makeTenant();
    const a = await createAction(t, { max_retries: 3, headers_template: { "x-note": "line1\nline2" } });
    const trig = await api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner });
    const seen = receiver(() => new Response("ok"));
    sends = [];
    await deliver(trig.body.run_id);
    expect(seen).toHaveLength(0);
    expect(sends).toHaveLength(0);
    expect(await runRow(trig.body.run_id)).toMatchObject({ status: "failed", errorCode: "invalid_header" });
  });

  it("keeps counters exact under 20 concurrent triggers", async () => {
    const t = await makeTenant();
    const a = await createAction(t);
    const results = await Promise.all(Array.from({ length: 20 }, () => api("POST", `${actionsPath(t)}/${a.action_id}/trigger`, { token: t.tokens.runner })));
    expect(results.every((r) => r.status === 200)).toBe(true);
    const mid = (await api("GET", `${actionsPath(t)}/${a.action_id}`, { token: t.tokens.viewer })).body;
    expect(mid).toMatchObject({ total_runs: 20, is_running: true });
    receiver(() => new Response("ok"));
    await Promise.all(results.map((r) => deliver(r.body.run_id)));
    expect(await actionRow(a.action_id)).toMatchObject({ totalRuns: 20, successfulRuns: 20, failedRuns: 0, runningCount: 0 });
  });
});
