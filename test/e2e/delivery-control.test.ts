/**
 * Delivery control end to end, against `npm start` with a recording receiver: the circuit
 * opens on an endpoint that is down, holds runs, recovers through a real probe at the real
 * cron, and delivers every held run exactly once; a rate limit of 5 per second holds over 50
 * runs; FIFO order holds under 20 concurrent triggers. Only the API and the cron are used.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, runCron, setupTenant, startReceiver, waitFor } from "./harness";

type Tenant = Awaited<ReturnType<typeof setupTenant>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let down = true;
const SECRET = `whsec_${btoa("e2e-delivery-control-secret-0001")}`;

beforeAll(async () => {
  receiver = await startReceiver((_n, req) => (req.path.startsWith("/down") && down ? 503 : 200));
});
afterAll(() => receiver.stop());

async function endpointAndAction(t: Tenant, path: string, flow: Record<string, unknown>, action: Record<string, unknown> = {}) {
  const ep = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: path, url: `${receiver.url}/${path}`, secret: SECRET, ...flow } });
  expect(ep.status, JSON.stringify(ep.body)).toBe(201);
  const a = await call("POST", `${t.base}/actions`, { token: t.token, body: { namespace_id: "e2e", name: path, endpoint_id: ep.body.endpoint_id, max_retries: 0, payload: { n: "{{ inputs.n }}" }, ...action } });
  expect(a.status, JSON.stringify(a.body)).toBe(201);
  const trigger = async (n: number) => {
    const r = await call("POST", `${t.base}/actions/${a.body.action_id}/trigger`, { token: t.token, body: { inputs: { n } } });
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { run_id: string; execution_id: string };
  };
  return { endpointId: ep.body.endpoint_id as string, trigger };
}
const on = (path: string) => receiver.requests.filter((r) => r.path === `/${path}`);
const runStatus = async (t: Tenant, id: string) => (await call("GET", `/v1/orgs/${t.orgId}/runs/${id}`, { token: t.token })).body?.run;

describe("delivery control end to end", () => {
  it("an endpoint down for 30 attempts opens its circuit and holds runs, then recovers; every held run is delivered exactly once", async () => {
    const t = await setupTenant(`e2e-circuit-${Date.now()}`);
    const ops = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: "ops", url: `${receiver.url}/ops`, secret: SECRET } });
    expect((await call("PUT", `/v1/orgs/${t.orgId}/operational-endpoint`, { token: t.token, body: { endpoint_id: ops.body.endpoint_id } })).status).toBe(200);
    const { endpointId, trigger } = await endpointAndAction(t, "down", { circuit_breaker: { probe_interval_seconds: 10 } });
    const runs: { run_id: string; execution_id: string }[] = [];
    for (let i = 0; i < 30; i++) runs.push(await trigger(i));
    const settled = async () => {
      const all = await Promise.all(runs.map((r) => runStatus(t, r.run_id)));
      return all.every((r) => r && ["failed", "held"].includes(r.status)) ? all : null;
    };
    const first = await waitFor(settled, "30 runs failed or held", 60_000);
    // The circuit opens at the 20th failure; attempts already in flight then still finish (and fail).
    const failed = first.filter((r) => r.status === "failed");
    const held = first.filter((r) => r.status === "held");
    expect(failed.length).toBeGreaterThanOrEqual(20);
    expect(held.length).toBeGreaterThanOrEqual(5);
    expect(failed.length + held.length).toBe(30);
    for (const r of held) expect(r.held_reason).toBe("circuit_open");
    expect(on("down")).toHaveLength(failed.length);
    const ep = await call("GET", `${t.base}/endpoints/${endpointId}`, { token: t.token });
    expect(ep.body.circuit).toMatchObject({ state: "open", consecutive_failures: failed.length });

    down = false;
    await new Promise((r) => setTimeout(r, 11_000));
    await runCron();
    const heldIds = new Set(held.map((r) => r.execution_id));
    await waitFor(async () => {
      const now = await Promise.all(held.map((r) => runStatus(t, r.run_id)));
      return now.every((r) => r?.status === "success");
    }, "held runs delivered", 60_000);
    const delivered = on("down").filter((r) => heldIds.has(r.headers["webhook-id"]!));
    // Exactly once each, deduplicated by webhook-id.
    expect(delivered).toHaveLength(held.length);
    expect(new Set(delivered.map((r) => r.headers["webhook-id"])).size).toBe(held.length);
    const closed = await call("GET", `${t.base}/endpoints/${endpointId}`, { token: t.token });
    expect(closed.body.circuit.state).toBe("closed");
    // Both operational events reached the operational endpoint, signed.
    const opsSeen = await waitFor(async () => (on("ops").length >= 2 ? on("ops") : null), "operational events", 30_000);
    expect(opsSeen.map((r) => JSON.parse(r.body).type)).toEqual(["endpoint.disabled", "endpoint.recovered"]);
    for (const r of opsSeen) expect(new Webhook(SECRET).verify(r.body, r.headers)).toMatchObject({ data: { endpoint_id: endpointId } });
  }, 180_000);

  it("a rate limit of 5 per second holds over 50 runs: they take at least 9 s", async () => {
    const t = await setupTenant(`e2e-rate-${Date.now()}`);
    const { trigger } = await endpointAndAction(t, "limited", { rate_limit: { count: 5, period: "second" } });
    await Promise.all(Array.from({ length: 50 }, (_, i) => trigger(i)));
    await waitFor(async () => on("limited").length >= 50, "50 deliveries", 90_000);
    expect(on("limited")).toHaveLength(50);
    const times = on("limited").map((r) => r.at).sort((a, b) => a - b);
    expect(times.at(-1)! - times[0]!).toBeGreaterThanOrEqual(9000);
    // No full second at the receiver holds more than 5 (the limit, within 10 %).
    for (const t0 of times) expect(times.filter((x) => x >= t0 && x < t0 + 1000).length).toBeLessThanOrEqual(5);
    expect(new Set(on("limited").map((r) => r.headers["webhook-id"])).size).toBe(50);
  }, 120_000);

  it("FIFO order holds under 20 concurrent triggers", async () => {
    const t = await setupTenant(`e2e-fifo-${Date.now()}`);
    const { trigger } = await endpointAndAction(t, "fifo", { ordering: "fifo" });
    const started = await Promise.all(Array.from({ length: 20 }, (_, i) => trigger(i)));
    await waitFor(async () => on("fifo").length >= 20, "20 deliveries", 90_000);
    const order = on("fifo").map((r) => r.headers["webhook-id"]);
    expect(order).toEqual(started.map((s) => s.execution_id).sort());
  }, 120_000);
});
