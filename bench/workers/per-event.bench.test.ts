/**
 * Per-event cost counts (printed): D1 statements, rows written (index entries included, from
 * D1's own meta), queue messages and Durable Object requests of one routed webhook on the
 * production path (INGEST_MODE=queue): the webhook's request, its share of a consumer batch
 * that stores and routes 100 such events (and, for comparison, a batch of 1), and the
 * delivery of its run. The Worker runs for real on local D1/Queues; only the endpoint (outside
 * the system) is a fetch spy. With BENCH_BREAKDOWN=1 (see vitest.bench.config.ts) every D1
 * statement of each figure is printed with its rows written and read.
 */
import { createExecutionContext, createMessageBatch, env, waitOnExecutionContext } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { expect, inject, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../src/core/ids";
import { getDb } from "../../src/db/client";
import { actions, triggers } from "../../src/db/schema";
import type { Env } from "../../src/env";
import { createApp } from "../../src/http/app";
import { consumeTasks } from "../../src/queue/consumer";
import { taskHandlers } from "../../src/queue/handlers";
import type { Task } from "../../src/queue/messages";
import { makeConnection, makeEndpoint, makeTenant } from "../../test/fixtures";
import { breakdownLines, countingEnv, totals, zeroCounts, type Counts } from "../counting";
import { report } from "./report";

const breakdown = inject("benchBreakdown");

/** Prints one figure, and in breakdown mode its statements. */
function figure(name: string, c: Counts) {
  report(name, totals(c));
  if (breakdown) console.log([`BREAKDOWN ${name}`, ...breakdownLines(c)].join("\n"));
}

/** `c` divided by `n` (a batch's share per event), rounded to 2 decimals. */
function perEvent(c: Counts, n: number): Record<string, number> {
  return Object.fromEntries(Object.entries(totals(c)).map(([k, v]) => [k, Math.round(((v as number) / n) * 100) / 100]));
}

it("counts the platform calls of one routed webhook", async () => {
  const tenant = await makeTenant("bench");
  const secret = `whsec_${btoa("0123456789abcdef0123456789abcdef")}`;
  const connectionId = await makeConnection(tenant, "standard_webhooks", { signing_secret: secret });
  const endpointId = await makeEndpoint(tenant, "https://receiver.example/hook");
  const triggerId = uuidv7();
  const t = nowIso();
  await getDb(env.DB).insert(triggers).values({
    projectTriggerId: triggerId, orgId: tenant.orgId, projectId: tenant.appId, connectionId, providerId: "standard_webhooks",
    triggerId: "on_any_event", triggerType: "webhook", status: "ENABLED", createdBy: "bench", createdAt: t, updatedAt: t,
  });
  await getDb(env.DB).insert(actions).values({
    actionId: uuidv7(), orgId: tenant.orgId, workspaceId: tenant.workspaceId, appId: tenant.appId, endpointId,
    name: "forward", namespaceId: "ns", payload: { amount: "{{ event.body.amount }}" }, triggerIds: [triggerId],
    createdBy: "bench", createdAt: t, updatedAt: t,
  });
  const app = createApp();
  const queueMode = (e: Env) => ({ ...e, INGEST_MODE: "queue" }) as Env;
  /** Posts one signed webhook; returns the tasks it sent. */
  const post = async (e: Env, sent: Task[]) => {
    const body = JSON.stringify({ type: "invoice.paid", amount: 4200 });
    const msgId = `msg_${uuidv7()}`;
    const now = new Date();
    const ctx = createExecutionContext();
    const res = await app.fetch(
      new Request(`http://sy.test/v1/webhooks/${triggerId}`, {
        method: "POST",
        headers: { "content-type": "application/json", "webhook-id": msgId, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new Webhook(secret).sign(msgId, now, body) },
        body,
      }),
      e,
      ctx,
    );
    await waitOnExecutionContext(ctx);
    expect(res.status).toBe(200);
    return sent;
  };
  // The pool's own consumer must not take these messages: the queue only records them here.
  vi.spyOn(env.TASKS, "send").mockImplementation(async () => undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async () => undefined as never);

  // One verified webhook (trigger lookup cold: one D1 read; then one queue message).
  const hook = zeroCounts(breakdown);
  const first: Task[] = [];
  await post(queueMode(countingEnv(env, hook, first)), first);
  figure("per_event.webhook", hook);

  // Stored and routed by the consumer: a batch of 100 (the queue's max_batch_size), per event; and a batch of 1.
  const ingests: Task[] = [];
  for (let i = 0; i < 100; i++) await post(queueMode(countingEnv(env, zeroCounts(), ingests)), ingests);
  const batchOf = (tasks: Task[]) => createMessageBatch("switchyard-tasks", tasks.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts: 1, body })));
  const one = zeroCounts(breakdown);
  const fromOne: Task[] = [];
  await consumeTasks(batchOf(first) as never, countingEnv(env, one, fromOne));
  figure("per_event.stored_routed_batch_1", one);
  const hundred = zeroCounts(breakdown);
  const deliveries: Task[] = [];
  await consumeTasks(batchOf(ingests) as never, countingEnv(env, hundred, deliveries));
  expect(deliveries.filter((d) => d.kind === "run.deliver")).toHaveLength(100);
  report("per_event.stored_routed", { ...perEvent(hundred, 100), batch: 100, batch_totals: totals(hundred) });
  if (breakdown) console.log([`BREAKDOWN per_event.stored_routed (batch of 100)`, ...breakdownLines(hundred)].join("\n"));

  // Delivering one run (endpoint answers 200).
  const run = zeroCounts(breakdown);
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok", { status: 200 }));
  const deliver = fromOne.find((m): m is Extract<Task, { kind: "run.deliver" }> => m.kind === "run.deliver")!;
  await taskHandlers["run.deliver"](countingEnv(env, run), deliver);
  expect(spy).toHaveBeenCalledTimes(1);
  spy.mockRestore();
  figure("per_event.delivered_run", run);
});
