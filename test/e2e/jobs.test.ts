/**
 * Bulk retry end to end, against `npm start` with a recording receiver: 100 runs of an action
 * with max_retries 0 fail (the receiver answers 500), the receiver recovers, and one
 * `POST …/runs/retry` job retries them all through the real queue: total 100, done 100,
 * failed 0, and the receiver got exactly one successful delivery per execution (deduplicated
 * by the Standard Webhooks `webhook-id`, which a retry keeps).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, setupTenant, startReceiver, waitFor } from "./harness";

const RUNS = 100;
let healthy = false;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver(() => (healthy ? 200 : 500));
});
afterAll(() => receiver.stop());

describe("bulk retry job end to end", () => {
  it("retries 100 failed runs once each after the receiver recovers", async () => {
    const t = await setupTenant(`e2e-jobs-${Date.now()}`);
    const ep = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: "flaky", url: `${receiver.url}/hook`, secret: "generate", circuit_breaker: { enabled: false } } });
    // The breaker is off: 100 failures in a row would otherwise open it and hold runs instead of failing them.
    expect(ep.status, JSON.stringify(ep.body)).toBe(201);
    const act = await call("POST", `${t.base}/actions`, { token: t.token, body: { namespace_id: "e2e", name: "bulk", endpoint_id: ep.body.endpoint_id, max_retries: 0 } });
    expect(act.status, JSON.stringify(act.body)).toBe(201);
    const trigger = () => call("POST", `${t.base}/actions/${act.body.action_id}/trigger`, { token: t.token, body: {} });
    for (let i = 0; i < RUNS; i += 10) {
      const batch = await Promise.all(Array.from({ length: 10 }, trigger));
      for (const r of batch) expect(r.status, JSON.stringify(r.body)).toBeLessThan(300);
    }
    const failedTotal = async () => (await call("GET", `/v1/orgs/${t.orgId}/runs?status=failed&limit=1`, { token: t.token })).body?.total;
    await waitFor(async () => (await failedTotal()) === RUNS, `${RUNS} runs failed`, 90_000);
    const failedCalls = receiver.requests.length;
    expect(failedCalls).toBe(RUNS);

    healthy = true;
    const dry = await call("POST", `/v1/orgs/${t.orgId}/runs/retry`, { token: t.token, body: { filter: { action_id: act.body.action_id }, dry_run: true } });
    expect(dry.body).toEqual({ dry_run: true, total: RUNS });
    const job = await call("POST", `/v1/orgs/${t.orgId}/runs/retry`, { token: t.token, body: { filter: { action_id: act.body.action_id } } });
    expect(job.status, JSON.stringify(job.body)).toBe(202);
    expect(job.body).toMatchObject({ status: "queued", total: RUNS });
    const done = await waitFor(
      async () => {
        const j = await call("GET", `/v1/orgs/${t.orgId}/jobs/${job.body.job_id}`, { token: t.token });
        return j.body?.status === "succeeded" ? j.body : null;
      },
      "the job to succeed",
      90_000,
    );
    expect(done).toMatchObject({ total: RUNS, done: RUNS, failed: 0, skipped: 0 });
    // Every retried attempt is delivered: wait for the receiver, then count by webhook-id.
    await waitFor(async () => receiver.requests.length >= failedCalls + RUNS, `${RUNS} retried deliveries`, 90_000);
    // And no more than that (a double retry would show up within a couple of seconds).
    await new Promise((r) => setTimeout(r, 2000));
    expect(receiver.requests.length).toBe(failedCalls + RUNS);
    const ok = receiver.requests.slice(failedCalls);
    const ids = ok.map((r) => r.headers["webhook-id"]);
    expect(ids.every(Boolean)).toBe(true);
    expect(new Set(ids).size).toBe(RUNS);
    expect(ids).toHaveLength(RUNS);
    // The same webhook-ids as the failed first attempts: one execution each, none missed.
    expect(new Set(receiver.requests.slice(0, failedCalls).map((r) => r.headers["webhook-id"]))).toEqual(new Set(ids));
    const succeeded = await call("GET", `/v1/orgs/${t.orgId}/runs?status=success&limit=1`, { token: t.token });
    expect(succeeded.body.total).toBe(RUNS);
    expect(await failedTotal()).toBe(RUNS); // the first attempts stay on record as failed
  });
});
