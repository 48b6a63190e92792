/**
 * The delivery engine end to end, against `npm start` with a recording receiver on 127.0.0.1:
 * a manual trigger delivered and signed, retries to failure, a `once` schedule fired through
 * /__scheduled, and one webhook event fanned out to two actions.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, runCron, setupTenant, startReceiver, waitFor } from "./harness";

let t: Awaited<ReturnType<typeof setupTenant>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
/** Paths under /fail answer 503; everything else 200. */
const reply = (_n: number, req: { path: string }) => (req.path.startsWith("/fail") ? 503 : 200);

beforeAll(async () => {
  t = await setupTenant();
  receiver = await startReceiver(reply);
});
afterAll(() => receiver.stop());

async function endpoint(path: string, secret?: string) {
  const res = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: path, url: `${receiver.url}${path}`, ...(secret ? { secret } : {}) } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.endpoint_id as string;
}

async function action(body: Record<string, unknown>) {
  const res = await call("POST", `${t.base}/actions`, { token: t.token, body: { namespace_id: "e2e", ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.action_id as string;
}

const runsOf = async (actionId: string) => (await call("GET", `${t.base}/actions/${actionId}/runs`, { token: t.token })).body.runs as any[];

describe("delivery engine end to end", () => {
  it("triggers an action and delivers a signed, templated payload", async () => {
    const secret = `whsec_${btoa("e2e-endpoint-secret-0123456789ab")}`;
    const ep = await endpoint("/ok", secret);
    const id = await action({ name: "greet", endpoint_id: ep, payload: { hello: "{{ inputs.who }}" } });
    const trig = await call("POST", `${t.base}/actions/${id}/trigger`, { token: t.token, body: { inputs: { who: "world" } } });
    expect(trig.status, JSON.stringify(trig.body)).toBeLessThan(300);
    expect(trig.body.status).toBe("pending");
    const got = await waitFor(async () => receiver.requests.find((r) => r.path === "/ok" && r.body.includes("world")), "delivery to /ok");
    expect(JSON.parse(got.body)).toEqual({ hello: "world" });
    expect(() => new Webhook(secret).verify(got.body, got.headers as Record<string, string>)).not.toThrow();
    const run = await waitFor(async () => (await runsOf(id)).find((r) => r.status === "success"), "run success");
    expect(run.execution_id).toBe(trig.body.execution_id);
    const a = (await call("GET", `${t.base}/actions/${id}`, { token: t.token })).body;
    expect(a).toMatchObject({ total_runs: 1, successful_runs: 1, failed_runs: 0, last_run_status: "success" });
  });

  it("retries a failing endpoint max_retries times, then fails the run", async () => {
    const ep = await endpoint("/fail");
    const id = await action({ name: "flaky", endpoint_id: ep, max_retries: 2, retry_delay_seconds: 1 });
    await call("POST", `${t.base}/actions/${id}/trigger`, { token: t.token, body: {} });
    const runs = await waitFor(async () => {
      const r = await runsOf(id);
      return r.length === 3 && r.every((x) => x.status === "failed") ? r : undefined;
    }, "three failed attempts", 60_000);
    expect(runs.map((r) => r.attempt).sort()).toEqual([1, 2, 3]);
    expect(new Set(runs.map((r) => r.execution_id)).size).toBe(1);
    expect(runs[0].error_code).toBe("http_503");
    const a = (await call("GET", `${t.base}/actions/${id}`, { token: t.token })).body;
    expect(a).toMatchObject({ total_runs: 1, failed_runs: 1, last_run_status: "failed", is_running: false });
  });

  it("fires a `once` schedule through /__scheduled", async () => {
    const ep = await endpoint("/once");
    const at = new Date(Date.now() + 2_000).toISOString();
    const id = await action({ name: "later", endpoint_id: ep, action_type: "scheduled", schedule_type: "once", scheduled_at: at });
    expect((await call("GET", `${t.base}/actions/${id}`, { token: t.token })).body.next_run_at).toBe(at);
    // Wait (bounded) for the condition the cron needs: the wall clock past `at`.
    await waitFor(async () => Date.now() > Date.parse(at) + 250, "scheduled_at to pass", 10_000);
    await runCron();
    await waitFor(async () => receiver.requests.find((r) => r.path === "/once"), "scheduled delivery");
    await runCron();
    // Settled: the one run is final and the action counts one execution; still one delivery.
    await waitFor(async () => {
      const r = await runsOf(id);
      return r.length === 1 && r[0].status === "success";
    }, "the scheduled run to finish");
    expect(receiver.requests.filter((r) => r.path === "/once")).toHaveLength(1);
    expect((await call("GET", `${t.base}/actions/${id}`, { token: t.token })).body.total_runs).toBe(1);
    expect((await call("GET", `${t.base}/actions/${id}`, { token: t.token })).body.next_run_at).toBeNull();
  });

  it("fans one webhook event out to the two actions that list its trigger", async () => {
    const trig = await call("POST", `/projects/${t.appId}/triggers`, { token: t.token, body: { provider_id: "webhook", trigger_id: "on_any_event", connection_id: null } });
    const triggerId = trig.body.project_trigger_id as string;
    await call("POST", `/triggers/${triggerId}/enable`, { token: t.token });
    const ep1 = await endpoint("/fan-a");
    const ep2 = await endpoint("/fan-b");
    const fanA = await action({ name: "fan-a", endpoint_id: ep1, trigger_ids: [triggerId], payload: { order: "{{ event.body.order }}" } });
    const fanB = await action({ name: "fan-b", endpoint_id: ep2, trigger_ids: [triggerId], filter: { body: { order: { $gte: 1 } } } });
    const fanNone = await action({ name: "fan-none", endpoint_id: ep2, trigger_ids: [triggerId], filter: { body: { order: { $lt: 0 } } } });
    const res = await call("POST", `/v1/webhooks/${triggerId}`, { body: { order: 42 } });
    expect(res.status).toBe(200);
    const a = await waitFor(async () => receiver.requests.find((r) => r.path === "/fan-a"), "fan-out to a");
    await waitFor(async () => receiver.requests.find((r) => r.path === "/fan-b"), "fan-out to b");
    // A string that is exactly one {{ expression }} keeps the value's JSON type.
    expect(JSON.parse(a.body)).toEqual({ order: 42 });
    // Settled: both matched runs are final, the unmatched action has none; still two deliveries.
    await waitFor(async () => {
      const [ra, rb] = [await runsOf(fanA), await runsOf(fanB)];
      return ra.length === 1 && rb.length === 1 && ra[0].status === "success" && rb[0].status === "success";
    }, "both fan-out runs to finish");
    expect(await runsOf(fanNone)).toHaveLength(0);
    expect(receiver.requests.filter((r) => r.path.startsWith("/fan-"))).toHaveLength(2);
    const ev = await call("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.token });
    expect(ev.body.status).toBe("routed");
    expect(ev.body.matched_actions).toHaveLength(2);
  });
});
