import { Task } from "./messages";
import type { Env } from "../env";
import { taskHandlers } from "./handlers";
import { retryDelaySeconds } from "../core/retry";
import { handleEventRoutes } from "../services/routing";
import { settleIngested } from "../services/event-store";

/** How many messages of one batch are processed at once. */
const CONCURRENCY = 8;
/**
 * Longest one message may hold its slot: the longest endpoint timeout (120 s) plus D1 work.
 * Past it the message is retried (its run's lease lets the sweeper settle it), so one
 * tenant's slow work cannot hold the batch. Default: 150 s.
 */
export const MESSAGE_BUDGET_MS = 150_000;
/**
 * No message is started after this much of a batch's time (a consumer invocation may run
 * 15 minutes of wall time): the rest are retried at once, so the invocation ends before the
 * platform kills it with other tenants' claimed runs inside. Default: 10 minutes.
 */
export const BATCH_BUDGET_MS = 600_000;

type Parsed = { msg: Message<unknown>; task: Task };

class Overtime extends Error {}

/** `p`, or an Overtime rejection after `ms` (the work itself goes on; its result is then ignored). */
function bounded<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Overtime(`task took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, deadline]).finally(() => clearTimeout(timer));
}

/**
 * The task queue consumer. Each message is handled on its own: a malformed (poison)
 * message is sent to the dead-letter queue and acked (retried if the DLQ refuses it), a failing one is retried with
 * backoff (the queue moves it to the DLQ after `max_retries`), and neither blocks the
 * rest of the batch. Each message has MESSAGE_BUDGET_MS and the batch BATCH_BUDGET_MS
 * (see above). `event.ingest` tasks of one batch are first stored and routed together (one
 * D1 transaction, `settleIngested`), then `event.route` tasks are routed together
 * (`handleEventRoutes`); if either fails, its tasks fall back to one-by-one handling.
 */
export async function consumeTasks(batch: MessageBatch<unknown>, env: Env, budgets = { message: MESSAGE_BUDGET_MS, batch: BATCH_BUDGET_MS }): Promise<void> {
  const startedAt = Date.now();
  const valid: Parsed[] = [];
  for (const msg of batch.messages) {
    const parsed = Task.safeParse(msg.body);
    if (parsed.success) {
      valid.push({ msg, task: parsed.data });
      continue;
    }
    try {
      await env.DLQ.send(msg.body as Task);
      console.error(JSON.stringify({ level: "error", msg: "poison task dead-lettered", id: msg.id, issues: parsed.error.issues.length }));
      msg.ack();
    } catch (err) {
      // Never dropped unkept: it may be an acknowledged webhook (an event.ingest another deploy wrote).
      console.error(JSON.stringify({ level: "error", msg: "poison task not dead-lettered (the DLQ refused); retried", id: msg.id, error: String(err) }));
      msg.retry({ delaySeconds: retryDelaySeconds(5, msg.attempts) });
    }
  }
  let rest = valid;
  const ingests = valid.filter((p) => p.task.kind === "event.ingest");
  if (ingests.length > 0) {
    try {
      const rows = ingests.map((p) => (p.task as Extract<Task, { kind: "event.ingest" }>).event);
      await bounded(settleIngested(env, rows), budgets.message);
      for (const p of ingests) p.msg.ack();
      rest = rest.filter((p) => p.task.kind !== "event.ingest");
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "batched ingest failed; storing one by one", events: ingests.length, error: String(err) }));
    }
  }
  const routes = rest.filter((p) => p.task.kind === "event.route");
  if (routes.length > 1) {
    try {
      await bounded(handleEventRoutes(env, routes.map((p) => (p.task as Extract<Task, { kind: "event.route" }>).event_id)), budgets.message);
      for (const p of routes) p.msg.ack();
      rest = rest.filter((p) => p.task.kind !== "event.route");
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "batched routing failed; routing one by one", error: String(err) }));
    }
  }
  const work = async ({ msg, task }: Parsed) => {
    if (Date.now() - startedAt > budgets.batch) {
      msg.retry({ delaySeconds: 0 });
      return;
    }
    try {
      await bounded(taskHandlers[task.kind](env, task as never), budgets.message);
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: err instanceof Overtime ? "task over its time budget; retried" : "task failed", kind: task.kind, attempts: msg.attempts, error: String(err) }));
      msg.retry({ delaySeconds: retryDelaySeconds(5, msg.attempts) });
    }
  };
  for (let i = 0; i < rest.length; i += CONCURRENCY) {
    await Promise.all(rest.slice(i, i + CONCURRENCY).map(work));
  }
}
