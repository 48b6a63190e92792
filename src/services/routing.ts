import type { Env } from "../env";
import type { Task } from "../queue/messages";

/** Handles `event.route`: fans an event out to matching actions (actions engine). */
export async function handleEventRoute(_env: Env, _task: Extract<Task, { kind: "event.route" }>): Promise<void> {
  throw new Error("event routing is not implemented yet");
}
