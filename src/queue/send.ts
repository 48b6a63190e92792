import type { Task } from "./messages";

/** The Queues `sendBatch` limit. */
export const SEND_CHUNK = 100;

/**
 * Sends tasks with `sendBatch` in chunks of SEND_CHUNK. A chunk the queue refuses is handed to
 * `onRefused` (which puts the work back, or rethrows to fail the caller) and is not counted.
 * Returns how many tasks were sent.
 */
export async function sendInChunks(queue: Queue<Task>, tasks: Task[], onRefused: (chunk: Task[], err: unknown) => Promise<void>): Promise<number> {
  let sent = 0;
  for (let i = 0; i < tasks.length; i += SEND_CHUNK) {
    const chunk = tasks.slice(i, i + SEND_CHUNK);
    try {
      await queue.sendBatch(chunk.map((body) => ({ body })));
      sent += chunk.length;
    } catch (err) {
      await onRefused(chunk, err);
    }
  }
  return sent;
}
