import type { Env } from "../env";

/**
 * Consumer of the dead-letter queue: tasks that exhausted their retries land here and are
 * logged so they stay visible; run tasks mark their run failed (see services/delivery).
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, _env: Env): Promise<void> {
  for (const msg of batch.messages) {
    console.error(JSON.stringify({ level: "warn", msg: "dead letter", id: msg.id, body: msg.body }));
    msg.ack();
  }
}
