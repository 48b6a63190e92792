import { getDb } from "../db/client";
import { storeIngested, toRoute, type IngestedEvent } from "../engine/event-log";
import type { Env } from "../env";
import type { Task } from "../queue/messages";
import { handleEventRoutes } from "./routing";

/**
 * Stores a batch of acknowledged events in D1 and routes what must be routed, in this
 * invocation (no second queue message). Safe to run again on the same rows: a redelivered
 * batch (`redelivered`) stores nothing twice and routes only events still `received`.
 */
export async function settleIngested(env: Env, rows: IngestedEvent[], redelivered: boolean): Promise<void> {
  const db = getDb(env.DB);
  const created = await storeIngested(env.DB, rows);
  await handleEventRoutes(env, await toRoute(db, rows, created, redelivered));
}

/** Handles one `event.ingest` task on its own (the consumer batches them; this is its one-by-one fallback). */
export function handleEventIngest(env: Env, task: Extract<Task, { kind: "event.ingest" }>): Promise<void> {
  return settleIngested(env, [task.event], true);
}
