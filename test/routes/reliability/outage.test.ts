/**
 * Outage: the endpoint is down for its first N attempts, then up. Every event is delivered
 * and none twice (the receiver dedupes on `webhook-id`, and counts are checked). When the
 * endpoint stays down, exhausted deliveries end in the dead-letter queue and show as failed
 * runs, with nothing missing from the events list.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { actions, runs, triggers } from "../../../src/db/schema";
import type { Env } from "../../../src/env";
import { createApp } from "../../../src/http/app";
import { taskHandlers } from "../../../src/queue/handlers";
import type { Task } from "../../../src/queue/messages";
import { api, db, makeEndpoint, makeTenant } from "../../fixtures";
import { ManualQueue } from "./manual-queue";
import { eq } from "drizzle-orm";

afterEach(() => vi.restoreAllMocks());

async function setup(maxRetries: number) {
  const tenant = await makeTenant("outage");
  const endpointId = await makeEndpoint(tenant, "https://receiver.example/hook", { secret: `whsec_${btoa("outage-secret-0123456789abcdef01")}` });
  const triggerId = uuidv7();
  const t = nowIso();
  await db().insert(triggers).values({
    projectTriggerId: triggerId, orgId: tenant.orgId, projectId: tenant.appId, providerId: "webhook", triggerId: "on_any_event",
    triggerType: "webhook", status: "ENABLED", createdBy: "test", createdAt: t, updatedAt: t,
  });
  const actionId = uuidv7();
  await db().insert(actions).values({
    actionId, orgId: tenant.orgId, workspaceId: tenant.workspaceId, appId: tenant.appId, endpointId, name: "forward", namespaceId: "ns",
    payload: { n: "{{ event.body.n }}" }, triggerIds: [triggerId], maxRetries, retryDelaySeconds: 5, createdBy: "test", createdAt: t, updatedAt: t,
  });
  const tasks = new ManualQueue();
  const dlq = new ManualQueue();
  const testEnv = { ...env, TASKS: tasks as unknown as Env["TASKS"], DLQ: dlq as unknown as Env["DLQ"] };
  const app = createApp();
  const ingest = async (n: number) => {
    const ctx = createExecutionContext();
    const res = await app.fetch(new Request(`http://sy.test/v1/webhooks/${triggerId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ n }) }), testEnv, ctx);
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
  };
  const handle = (task: Task) => taskHandlers[task.kind](testEnv, task as never);
  return { tenant, triggerId, actionId, tasks, dlq, ingest, handle };
}

/** An endpoint that fails its first `down` requests, then succeeds; it dedupes on webhook-id. */
function flakyEndpoint(down: number) {
  let calls = 0;
  const delivered = new Map<string, number>();
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    calls++;
    if (calls <= down) return new Response("down", { status: 503 });
    const id = new Headers(init?.headers).get("webhook-id") ?? "";
    delivered.set(id, (delivered.get(id) ?? 0) + 1);
    return new Response("ok", { status: 200 });
  });
  return { delivered, calls: () => calls };
}

describe("downstream outage", () => {
  it("delivers every event exactly once after the endpoint recovers", async () => {
    const s = await setup(5);
    const endpoint = flakyEndpoint(12);
    for (let n = 0; n < 10; n++) await s.ingest(n);
    await s.tasks.drain(s.handle);
    expect(endpoint.delivered.size).toBe(10);
    expect([...endpoint.delivered.values()].every((c) => c === 1)).toBe(true);
    const rows = await db().select().from(runs).where(eq(runs.actionId, s.actionId));
    expect(rows.filter((r) => r.status === "success")).toHaveLength(10);
    expect(rows.filter((r) => r.status === "failed")).toHaveLength(12);
    expect(s.dlq.sent).toHaveLength(0);
    const a = (await api("GET", `/v1/orgs/${s.tenant.orgId}/workspaces/${s.tenant.workspaceId}/apps/${s.tenant.appId}/actions/${s.actionId}`, { token: s.tenant.tokens.viewer })).body;
    expect(a).toMatchObject({ total_runs: 10, successful_runs: 10, failed_runs: 0, is_running: false });
  });

  it("dead-letters exhausted deliveries and shows them as failed runs, losing no event", async () => {
    const s = await setup(2);
    flakyEndpoint(Number.MAX_SAFE_INTEGER);
    for (let n = 0; n < 4; n++) await s.ingest(n);
    await s.tasks.drain(s.handle);
    expect(s.dlq.sent).toHaveLength(4);
    const rows = await db().select().from(runs).where(eq(runs.actionId, s.actionId));
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.status === "failed")).toBe(true);
    const listed = await api("GET", `/v1/orgs/${s.tenant.orgId}/events?trigger_id=${s.triggerId}`, { token: s.tenant.tokens.viewer });
    expect(listed.body.total).toBe(4);
    const a = (await api("GET", `/v1/orgs/${s.tenant.orgId}/workspaces/${s.tenant.workspaceId}/apps/${s.tenant.appId}/actions/${s.actionId}`, { token: s.tenant.tokens.viewer })).body;
    expect(a).toMatchObject({ total_runs: 4, failed_runs: 4, successful_runs: 0 });
  });
});
