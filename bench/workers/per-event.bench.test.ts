/**
 * Per-event cost counts (printed): D1 statements, rows written, queue messages and Durable
 * Object requests for one verified webhook, and for routing + delivering its run. The
 * Worker runs for real on local D1/Queues; only the endpoint (outside the system) is a fetch spy.
 * With BENCH_BREAKDOWN=1 (see vitest.bench.config.ts) every D1 statement of each figure is
 * printed with its rows written and read.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { expect, inject, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../src/core/ids";
import { getDb } from "../../src/db/client";
import { actions, triggers } from "../../src/db/schema";
import { createApp } from "../../src/http/app";
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

  // One verified webhook.
  const body = JSON.stringify({ type: "invoice.paid", amount: 4200 });
  const msgId = `msg_${uuidv7()}`;
  const now = new Date();
  const signature = new Webhook(secret).sign(msgId, now, body);
  const ts = String(Math.floor(now.getTime() / 1000));
  const sent: Task[] = [];
  const hook = zeroCounts(breakdown);
  const hookEnv = countingEnv(env, hook, sent);
  const ctx = createExecutionContext();
  const res = await createApp().fetch(
    new Request(`http://sy.test/v1/webhooks/${triggerId}`, {
      method: "POST",
      headers: { "content-type": "application/json", "webhook-id": msgId, "webhook-timestamp": ts, "webhook-signature": signature },
      body,
    }),
    hookEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  expect(res.status).toBe(200);
  figure("per_event.webhook", hook);

  // Routing the event, then delivering its run (endpoint answers 200).
  const run = zeroCounts(breakdown);
  const deliveries: Task[] = [];
  const runEnv = countingEnv(env, run, deliveries);
  const spy = vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok", { status: 200 }));
  const route = sent.find((m): m is Extract<Task, { kind: "event.route" }> => m.kind === "event.route")!;
  await taskHandlers["event.route"](runEnv, route);
  const deliver = deliveries.find((m): m is Extract<Task, { kind: "run.deliver" }> => m.kind === "run.deliver")!;
  await taskHandlers["run.deliver"](runEnv, deliver);
  expect(spy).toHaveBeenCalledTimes(1);
  spy.mockRestore();
  figure("per_event.delivered_run", run);
});
