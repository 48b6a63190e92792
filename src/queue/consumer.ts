import { Task } from "./messages";
import type { Env } from "../env";
import { taskHandlers } from "./handlers";
import { retryDelaySeconds } from "../core/retry";

/** How many messages of one batch are processed at once. */
const CONCURRENCY = 8;

/**
 * The task queue consumer. Each message is handled on its own: a malformed (poison)
 * message is sent to the dead-letter queue and acked, a failing one is retried with
 * backoff (the queue moves it to the DLQ after `max_retries`), and neither blocks the
 * rest of the batch.
 */
export async function consumeTasks(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const messages = [...batch.messages];
  const work = async (msg: Message<unknown>) => {
    const parsed = Task.safeParse(msg.body);
    if (!parsed.success) {
      console.error(JSON.stringify({ level: "error", msg: "poison task dead-lettered", id: msg.id, issues: parsed.error.issues.length }));
      await env.DLQ.send(msg.body as Task).catch(() => undefined);
      msg.ack();
      return;
    }
    try {
      await taskHandlers[parsed.data.kind](env, parsed.data as never);
      msg.ack();
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "task failed", kind: parsed.data.kind, attempts: msg.attempts, error: String(err) }));
      msg.retry({ delaySeconds: retryDelaySeconds(5, msg.attempts) });
    }
  };
  for (let i = 0; i < messages.length; i += CONCURRENCY) {
    await Promise.all(messages.slice(i, i + CONCURRENCY).map(work));
  }
}
