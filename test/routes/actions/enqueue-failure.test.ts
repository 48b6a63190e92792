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
