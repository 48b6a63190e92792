import { env, runInDurableObject } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { events, runs } from "../../../src/db/schema";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { triggerStateFor } from "../../../src/durable/client";
import { startExecution } from "../../../src/services/executions";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { handleRunDeliver } from "../../../src/services/delivery";
import { actionRow, makeAction, makeTrigger, sentBodies, upstreamHandler } from "../durable/helpers";
import { MAX_ROUNDS, seeded, shuffle } from "./race";

// The queue is the platform boundary: tests capture tasks and drive the handlers themselves,
// so the pool's background consumer never races them.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

async function waitingRun(tenant: Tenant) {
  const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
  const actionId = await makeAction(tenant, ep, { approvalRequired: true });
  const started = await startExecution(db(), env, { action: await actionRow(actionId), triggerType: "api", invokedBy: "test" });
  expect(started.status).toBe("pending_approval");
  return started;
}
const runRow = async (id: string) => (await db().select().from(runs).where(eq(runs.runId, id)))[0]!;

describe("POST /v1/runs/{run_id}/approve|reject", () => {
  it("50 concurrent approve/reject calls in seeded random orders until both sides have won: exactly one decision, one delivery iff approve won", async () => {
    const rand = seeded("approve/reject race");
    const tenant = await makeTenant();
    const winners = new Set<string>();
    for (let round = 0; round < MAX_ROUNDS && winners.size < 2; round++) {
      const { run_id } = await waitingRun(tenant);
      const send = vi.spyOn(env.TASKS, "send");
      send.mockClear();
      const kinds = shuffle(rand, Array.from({ length: 50 }, (_, i) => (i % 2 ? "approve" : "reject")));
      const res = await Promise.all(kinds.map((kind, i) => api("POST", `/v1/runs/${run_id}/${kind}`, { token: tenant.tokens.editor, body: { message: `call ${i}` } })));
      const won = res.filter((r) => r.status === 200);
      const lost = res.filter((r) => r.status === 409);
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(49);
      for (const l of lost) {
        expect(l.body.detail[0].type).toBe("conflict");
        expect(l.body.detail[0].msg).toMatch(/^run already (approved|rejected) by /);
      }
      const run = await runRow(run_id);
      expect(run.decidedBy).toBeTruthy();
      expect(lost.every((l) => l.body.detail[0].msg.endsWith(run.decidedBy!))).toBe(true);
      // Deliver whatever was released, counting requests at the receiver.
      const hits: string[] = [];
      vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", (req) => (hits.push(req.headers.get("x-switchyard-execution-id") ?? ""), new Response("ok"))));
      const deliveries = sentBodies(send).filter((t) => t.kind === "run.deliver" && t.run_id === run_id);
      for (const d of deliveries) await handleRunDeliver(env, d as never);
      const approved = won[0]!.body.status !== "rejected";
      winners.add(approved ? "approve" : "reject");
      if (approved) {
        expect(deliveries).toHaveLength(1);
        expect(hits).toEqual([run.executionId]);
        expect((await runRow(run_id)).status).toBe("success");
      } else {
        expect(run.status).toBe("rejected");
        expect(deliveries).toHaveLength(0);
        expect(hits).toEqual([]);
      }
    }
    expect([...winners].sort(), `both winners within ${MAX_ROUNDS} rounds`).toEqual(["approve", "reject"]);
  }, 180_000);

  it("a rejected run never delivers and keeps the message", async () => {
    const tenant = await makeTenant();
    const { run_id } = await waitingRun(tenant);
    const send = vi.spyOn(env.TASKS, "send");
    const res = await Promise.all(Array.from({ length: 50 }, () => api("POST", `/v1/runs/${run_id}/reject`, { token: tenant.tokens.admin, body: { message: "not today" } })));
    expect(res.filter((r) => r.status === 200)).toHaveLength(1);
    expect(res.filter((r) => r.status === 409)).toHaveLength(49);
    const run = await runRow(run_id);
    expect(run).toMatchObject({ status: "rejected", decisionMessage: "not today" });
    expect(sentBodies(send).filter((t) => t.kind === "run.deliver")).toHaveLength(0);
    // Approving afterwards is still refused.
    const late = await api("POST", `/v1/runs/${run_id}/approve`, { token: tenant.tokens.admin });
    expect(late.status).toBe(409);
  });

  it("approve releases the run for delivery and records who decided", async () => {
    const tenant = await makeTenant();
    const { run_id } = await waitingRun(tenant);
    const send = vi.spyOn(env.TASKS, "send");
    const res = await api("POST", `/v1/runs/${run_id}/approve`, { token: tenant.tokens.editor });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ run_id, status: "pending", decided_by: expect.any(String) });
    expect(sentBodies(send).filter((t) => t.kind === "run.deliver" && t.run_id === run_id)).toHaveLength(1);
  });

  it("refuses runner and viewer (403), other tenants (404), unknown ids (404) and runs not waiting (409)", async () => {
    const tenant = await makeTenant();
    const other = await makeTenant("other");
    const { run_id } = await waitingRun(tenant);
    expect((await api("POST", `/v1/runs/${run_id}/approve`, { token: tenant.tokens.runner })).status).toBe(403);
    expect((await api("POST", `/v1/runs/${run_id}/reject`, { token: tenant.tokens.viewer })).status).toBe(403);
    const foreign = await api("POST", `/v1/runs/${run_id}/approve`, { token: other.tokens.admin });
    expect(foreign.status).toBe(404);
    expect(foreign.body.detail[0].type).toBe("not_found");
    expect((await api("POST", `/v1/runs/00000000-0000-7000-8000-000000000000/approve`, { token: tenant.tokens.admin })).status).toBe(404);
    expect((await api("POST", `/v1/runs/${run_id}/approve`)).status).toBe(401);
    const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
    const plain = await startExecution(db(), env, { action: await actionRow(await makeAction(tenant, ep)), triggerType: "api" });
    const notWaiting = await api("POST", `/v1/runs/${plain.run_id}/approve`, { token: tenant.tokens.admin });
    expect(notWaiting.status).toBe(409);
    expect(notWaiting.body.detail[0].msg).toMatch(/not waiting for approval/);
    // The run is still waiting: the refused calls changed nothing.
    expect((await runRow(run_id)).status).toBe("pending_approval");
  });
});

describe("the owning Durable Object", () => {
  it("records the decision of an event-driven run in its trigger's object", async () => {
    const tenant = await makeTenant();
    const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
    const actionId = await makeAction(tenant, ep, { approvalRequired: true });
    const triggerId = await makeTrigger(tenant, { providerId: "webhook", triggerId: "on_any_event", type: "webhook", config: {} });
    const [event] = await db()
      .insert(events)
      .values({ eventId: uuidv7(), orgId: tenant.orgId, appId: tenant.appId, projectTriggerId: triggerId, providerId: "webhook", dedupKey: "d1", headers: {}, body: "{}", receivedAt: nowIso() })
      .returning();
    const started = await startExecution(db(), env, { action: await actionRow(actionId), triggerType: "webhook", event: event! });
    expect((await api("POST", `/v1/runs/${started.run_id}/approve`, { token: tenant.tokens.editor, body: { message: "ship it" } })).status).toBe(200);
    const rows = await runInDurableObject(triggerStateFor(env, triggerId), async (_o, state) => state.storage.sql.exec("SELECT run_id, decision, message FROM decisions").toArray());
    expect(rows).toEqual([{ run_id: started.run_id, decision: "approve", message: "ship it" }]);
    // The action-keyed object knows nothing about it: one writer per run.
    const other = await runInDurableObject(triggerStateFor(env, `action:${actionId}`), async (_o, state) => state.storage.sql.exec("SELECT run_id FROM decisions").toArray());
    expect(other).toEqual([]);
  });
});
