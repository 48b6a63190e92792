/**
 * Outage, through the real consumer: webhooks are ingested through the Worker, and every task
 * the Worker enqueues is handed to `consumeTasks` (the Worker's own `queue` handler) in real
 * local `MessageBatch`es made by `createMessageBatch`, with forced redeliveries: every message
 * arrives TWICE (at-least-once), and messages the consumer `retry()`s come back in a later
 * batch. The endpoint is down for its first N requests, then up; it deduplicates on
 * `webhook-id`. Every event must be delivered, none twice at the receiver, counts exact. When
 * the endpoint stays down, exhausted deliveries are dead-lettered and show as failed runs.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, SELF } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { actions, runs, triggers } from "../../../src/db/schema";
import worker from "../../../src/index";
import type { Task } from "../../../src/queue/messages";
import { api, db, makeEndpoint, makeTenant } from "../../fixtures";

let queued: Task[];
let dead: Task[];
beforeEach(() => {
  queued = [];
  dead = [];
  // The queue producer is the platform boundary: what the Worker sends is collected here and
  // delivered below as real message batches to the real consumer.
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body: Task) => void queued.push(body) as never);
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs: Iterable<MessageSendRequest<Task>>) => {
    for (const m of msgs) queued.push(m.body);
    return undefined as never;
  });
  vi.spyOn(env.DLQ, "send").mockImplementation(async (body: Task) => void dead.push(body) as never);
});
afterEach(() => vi.restoreAllMocks());

/** Hands every queued task to the consumer, each twice, re-sending what it retries; bounded. */
async function drain(maxBatches = 200): Promise<{ batches: number; retried: number }> {
  let batches = 0;
  let retried = 0;
  let seq = 0;
  let retry: { body: Task; attempts: number }[] = [];
  while ((queued.length || retry.length) && batches < maxBatches) {
    const fresh = queued.splice(0).map((body) => ({ body, attempts: 1 }));
    const round = [...retry, ...fresh];
    retry = [];
    // Forced redelivery: each message twice in the same batch, as at-least-once allows.
    const messages = round.flatMap((m) => [0, 1].map(() => ({ id: `m${++seq}`, timestamp: new Date(), attempts: m.attempts, body: m.body })));
    const batch = createMessageBatch("switchyard-tasks", messages);
    const ctx = createExecutionContext();
    await worker.queue(batch as never, env, ctx);
    const result = await getQueueResult(batch, ctx);
    const byId = new Map(messages.map((m) => [m.id, m]));
    for (const r of result.retryMessages) {
      const m = byId.get(r.msgId)!;
      retried++;
      if (m.attempts < 5) retry.push({ body: m.body, attempts: m.attempts + 1 });
      else dead.push(m.body); // the platform's dead-letter queue after max_retries
    }
    batches++;
  }
  return { batches, retried };
}

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
  const ingest = async (n: number) => {
    const res = await SELF.fetch(`http://sy.test/v1/webhooks/${triggerId}`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ n }) });
    expect(res.status).toBe(200);
  };
  const action = async () => (await api("GET", `/v1/orgs/${tenant.orgId}/workspaces/${tenant.workspaceId}/apps/${tenant.appId}/actions/${actionId}`, { token: tenant.tokens.viewer })).body;
  return { tenant, triggerId, actionId, ingest, action };
}

/** An endpoint that fails its first `down` requests, then succeeds; it dedupes on webhook-id. */
function flakyEndpoint(down: number) {
  let calls = 0;
  const delivered = new Map<string, number>();
  vi.spyOn(globalThis, "fetch").mockImplementation(async (_input, init) => {
    calls++;
    if (calls <= down) return new Response("down", { status: 503 });
    const id = new Headers(init?.headers).get("webhook-id") ?? "";
    delivered.set(id, (delivered.get(id) ?? 0) + 1);
    return new Response("ok", { status: 200 });
  });
  return { delivered, calls: () => calls };
}

describe("downstream outage, through the real consumer with redeliveries", () => {
  it("delivers every event exactly once at the receiver after the endpoint recovers", async () => {
    const s = await setup(5);
    const endpoint = flakyEndpoint(12);
    for (let n = 0; n < 10; n++) await s.ingest(n);
    await drain();
    expect(queued).toHaveLength(0);
    expect(endpoint.delivered.size).toBe(10);
    expect([...endpoint.delivered.values()].every((c) => c === 1)).toBe(true);
    const rows = await db().select().from(runs).where(eq(runs.actionId, s.actionId));
    expect(rows.filter((r) => r.status === "success")).toHaveLength(10);
    expect(rows.filter((r) => r.status === "failed")).toHaveLength(12);
    expect(rows.every((r) => r.leaseUntil === null)).toBe(true);
    expect(dead).toHaveLength(0);
    expect(await s.action()).toMatchObject({ total_runs: 10, successful_runs: 10, failed_runs: 0, is_running: false });
  });

  it("dead-letters exhausted deliveries and shows them as failed runs, losing no event", async () => {
    const s = await setup(2);
    flakyEndpoint(Number.MAX_SAFE_INTEGER);
    for (let n = 0; n < 4; n++) await s.ingest(n);
    await drain();
    expect(dead.filter((t) => t.kind === "run.deliver")).toHaveLength(4);
    const rows = await db().select().from(runs).where(eq(runs.actionId, s.actionId));
    expect(rows).toHaveLength(12);
    expect(rows.every((r) => r.status === "failed")).toBe(true);
    const listed = await api("GET", `/v1/orgs/${s.tenant.orgId}/events?trigger_id=${s.triggerId}`, { token: s.tenant.tokens.viewer });
    expect(listed.body.total).toBe(4);
    expect(listed.body.events.every((e: { status: string }) => e.status === "routed")).toBe(true);
    expect(await s.action()).toMatchObject({ total_runs: 4, failed_runs: 4, successful_runs: 0, is_running: false });
  });

  it("a task whose handler fails is retried by the consumer and finishes on a later batch", async () => {
    const s = await setup(0);
    const endpoint = flakyEndpoint(0);
    await s.ingest(1);
    // D1 refuses the first routing reads (fault injection at the binding): the batched routing
    // and then both copies of the message fail, and the consumer retries them.
    const realPrepare = env.DB.prepare.bind(env.DB);
    let failures = 0;
    vi.spyOn(env.DB, "prepare").mockImplementation((q: string) => {
      if (failures < 3 && /from "actions"/i.test(q)) {
        failures++;
        throw new Error("D1_ERROR: simulated outage");
      }
      return realPrepare(q);
    });
    const r = await drain();
    expect(failures).toBe(3);
    expect(r.retried).toBeGreaterThan(0);
    expect(endpoint.delivered.size).toBe(1);
    expect(await s.action()).toMatchObject({ total_runs: 1, successful_runs: 1, is_running: false });
  });
});
