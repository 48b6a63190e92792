/**
 * Shared helpers of the queue-first ingest tests (queue-first.test.ts, test/routes/attack): a spy queue
 * that records what was sent (so the pool's own consumer never races these tests), a
 * Standard Webhooks sender signed by the standardwebhooks library, and a way to hand
 * recorded tasks to the real queue handler.
 */
import { createExecutionContext, createMessageBatch, env, getQueueResult, waitOnExecutionContext } from "cloudflare:test";
import { Webhook } from "standardwebhooks";
import { vi } from "vitest";
import type { Env } from "../../../src/env";
import { createApp } from "../../../src/http/app";
import worker from "../../../src/index";
import type { Task } from "../../../src/queue/messages";
import { makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { createAction } from "../actions/helpers";
import { makeTrigger } from "./helpers";

const app = createApp();
export const SECRET = `whsec_${btoa("attack-review-secret-0123456789")}`;
export const modeEnv = (mode: "queue" | "inbox" | "d1", e: Env = env as Env) => ({ ...e, INGEST_MODE: mode }) as Env;

/** Replaces TASKS.send/sendBatch with spies that record the tasks; returns the record. */
export function spyQueue(): Task[] {
  const sent: Task[] = [];
  vi.spyOn(env.TASKS, "send").mockImplementation(async (body) => {
    sent.push(body as Task);
    return undefined as never;
  });
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (msgs) => {
    sent.push(...[...msgs].map((m) => m.body as Task));
    return undefined as never;
  });
  return sent;
}

export const ingestsOf = (sent: Task[]) => sent.filter((t): t is Extract<Task, { kind: "event.ingest" }> => t.kind === "event.ingest");

/** Posts one Standard Webhooks delivery to a trigger's own URL (with `extra` headers, e.g. a credential that must not be stored). */
export async function deliver(e: Env, triggerId: string, msgId: string, body = JSON.stringify({ type: "invoice.paid", id: msgId }), extra: Record<string, string> = {}) {
  const now = new Date();
  const headers = {
    ...extra,
    "content-type": "application/json",
    "webhook-id": msgId,
    "webhook-timestamp": String(Math.floor(now.getTime() / 1000)),
    "webhook-signature": new Webhook(SECRET).sign(msgId, now, body),
  };
  const ctx = createExecutionContext();
  const res = await app.fetch(new Request(`http://sy.test/v1/webhooks/${triggerId}`, { method: "POST", headers, body }), e, ctx);
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

/** Hands `tasks` to the real queue handler as one batch. */
export async function consume(tasks: Task[], attempts = 1, e: Env = env as Env, queue = "switchyard-tasks") {
  const batch = createMessageBatch(queue, tasks.map((body, i) => ({ id: `m${i}`, timestamp: new Date(), attempts, body })));
  const ctx = createExecutionContext();
  await worker.queue(batch, e, ctx);
  return getQueueResult(batch, ctx);
}

/** A tenant with one enabled Standard Webhooks trigger and one action on it. */
export async function setup(name: string): Promise<{ t: Tenant; triggerId: string; actionId: string }> {
  const t = await makeTenant(name);
  const triggerId = await makeTrigger(t, "standard_webhooks", { signing_secret: SECRET });
  const action = await createAction(t, { trigger_ids: [triggerId], endpoint_id: await makeEndpoint(t, "https://receiver.example.com/attack") });
  return { t, triggerId, actionId: action.action_id as string };
}
