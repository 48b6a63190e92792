import { Task } from "./messages";
import type { Env } from "../env";
import { taskHandlers } from "./handlers";
import { retryDelaySeconds } from "../core/retry";
import { handleEventRoutes } from "../services/routing";

/** How many messages of one batch are processed at once. */
const CONCURRENCY = 8;

type Parsed = { msg: Message<unknown>; task: Task };

/**
 * The task queue consumer. Each message is handled on its own: a malformed (poison)
 * message is sent to the dead-letter queue and acked, a failing one is retried with
 * backoff (the queue moves it to the DLQ after `max_retries`), and neither blocks the
 * rest of the batch. `event.route` tasks of one batch are first routed together
 * (`handleEventRoutes`); if that fails, they fall back to one-by-one handling.
 */
export async function consumeTasks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const valid: Parsed[] = [];
  for (const msg of batch.messages) {
    const parsed = Task.safeParse(msg.body);
    if (parsed.success) {
      valid.push({ msg, task: parsed.data });
      continue;
    }
    console.error(JSON.stringify({ level: "error", msg: "poison task dead-lettered", id: msg.id, issues: parsed.error.issues.length }));
    await env.DLQ.send(msg.body as Task).catch(() => undefined);
    msg.ack();
  }
  const routes = valid.filter((p) => p.task.kind === "event.route");
  let rest = valid;
  if (routes.length > 1) {
    try {
      await handleEventRoutes(env, routes.map((p) => (p.task as Extract<Task, { kind: "event.route" }>).event_id));
      for (const p of routes) p.msg.ack();
      rest = valid.filter((p) => p.task.kind !== "event.route");
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "batched routing failed; routing one by one", error: String(err) }));
    }
  }
  const work = async ({ msg, task }: Parsed) => {
    try {
      await taskHandlers[task.kind](env, task as never);
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "task failed", kind: task.kind, attempts: msg.attempts, error: String(err) }));
      msg.retry({ delaySeconds: retryDelaySeconds(5, msg.attempts) });
    }
  };
  for (let i = 0; i < rest.length; i += CONCURRENCY) {
    await Promise.all(rest.slice(i, i + CONCURRENCY).map(work));
  }
}
