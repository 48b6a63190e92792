/**
 * Nothing is silently dropped when the queue refuses a new run: the caller gets 503, and the run
 * shows as failed with `enqueue_failed` (never stuck in `pending`), with exact counters.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { api, makeTenant } from "../../fixtures";
import { actionsPath, createAction } from "./helpers";

afterEach(() => vi.restoreAllMocks());

describe("queue refuses a new run", () => {
  it("answers 503 and records the run as failed with enqueue_failed", async () => {
    const t = await makeTenant("enqueue");
    const action = await createAction(t);
    vi.spyOn(env.TASKS, "send").mockRejectedValue(new Error("queue unavailable"));
    const res = await api("POST", `${actionsPath(t)}/${action.action_id}/trigger`, { token: t.tokens.runner, body: {} });
    expect(res.status).toBe(503);
    expect(res.body.detail[0].type).toBe("queue_unavailable");
    const runs = await api("GET", `${actionsPath(t)}/${action.action_id}/runs`, { token: t.tokens.viewer });
    expect(runs.body.runs).toHaveLength(1);
    expect(runs.body.runs[0]).toMatchObject({ status: "failed", error_code: "enqueue_failed", attempt: 1 });
    const after = await api("GET", `${actionsPath(t)}/${action.action_id}`, { token: t.tokens.viewer });
    expect(after.body).toMatchObject({ total_runs: 1, failed_runs: 1, successful_runs: 0, is_running: false, last_run_status: "failed" });
  });
});

describe("queue refuses a retry", () => {
  it("closes the next attempt and the execution as failed instead of leaving it pending", async () => {
    const { handleRunDeliver } = await import("../../../src/services/delivery");
    const t = await makeTenant("enqueue-retry");
    const action = await createAction(t, { max_retries: 3, retry_delay_seconds: 1 });
    const sent: { run_id: string }[] = [];
    const send = vi.spyOn(env.TASKS, "send").mockImplementation(async (m) => {
      sent.push(m as { run_id: string });
      return undefined as never;
    });
    vi.spyOn(env.DLQ, "send").mockImplementation(async () => undefined as never);
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("down", { status: 503 }));
    const trig = await api("POST", `${actionsPath(t)}/${action.action_id}/trigger`, { token: t.tokens.runner, body: {} });
    expect(trig.status).toBe(200);
    // The queue goes down before the retry is scheduled.
    send.mockRejectedValue(new Error("queue unavailable"));
    await handleRunDeliver(env, { v: 1, kind: "run.deliver", run_id: sent[0]!.run_id });
    const runs = (await api("GET", `${actionsPath(t)}/${action.action_id}/runs`, { token: t.tokens.viewer })).body.runs as any[];
    expect(runs.map((r) => [r.attempt, r.status, r.error_code]).sort()).toEqual([
      [1, "failed", "http_503"],
      [2, "failed", "enqueue_failed"],
    ]);
    const after = await api("GET", `${actionsPath(t)}/${action.action_id}`, { token: t.tokens.viewer });
    expect(after.body).toMatchObject({ total_runs: 1, failed_runs: 1, is_running: false });
  });
});

describe("queue refuses claimed schedule slots", () => {
  it("hands the slots back so the next minute fires them, once", async () => {
    const { claimDueActions } = await import("../../../src/services/schedules");
    const t = await makeTenant("enqueue-schedule");
    const at = new Date(Date.now() + 60_000).toISOString();
    const action = await createAction(t, { schedule_type: "once", scheduled_at: at });
    const later = new Date(Date.parse(at) + 1_000);
    const batch = vi.spyOn(env.TASKS, "sendBatch").mockRejectedValueOnce(new Error("queue unavailable"));
    expect(await claimDueActions(env, later)).toBe(0);
    const handedBack = await api("GET", `${actionsPath(t)}/${action.action_id}`, { token: t.tokens.viewer });
    expect(handedBack.body.next_run_at).toBe(at);
    const sent: unknown[] = [];
    batch.mockImplementation(async (msgs) => {
      sent.push(...[...msgs].map((m) => m.body));
      return undefined as never;
    });
    expect(await claimDueActions(env, new Date(later.getTime() + 60_000))).toBe(1);
    expect(sent).toEqual([{ v: 1, kind: "action.scheduled", action_id: action.action_id, due_at: at }]);
    expect((await api("GET", `${actionsPath(t)}/${action.action_id}`, { token: t.tokens.viewer })).body.next_run_at).toBeNull();
  });
});
