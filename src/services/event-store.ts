import type { IngestedEvent } from "../engine/event-log";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { storeRouted } from "./routing";

/**
 * Stores a batch of acknowledged events in D1, routed, in this invocation (see
 * `storeRouted`: one D1 transaction, no second queue message). Safe to run again on the same
 * rows: a redelivered batch stores nothing twice and starts nothing twice.
 */
export async function settleIngested(env: Env, rows: IngestedEvent[]): Promise<void> {
  await storeRouted(env, rows);
}

/** Handles one `event.ingest` task on its own (the consumer batches them; this is its one-by-one fallback). */
export function handleEventIngest(env: Env, task: Extract<Task, { kind: "event.ingest" }>): Promise<void> {
  return settleIngested(env, [task.event]);
}
