import type { Env } from "../env";
import type { Task } from "../queue/messages";

/** Handles `action.scheduled`: starts the execution for a claimed schedule slot (actions engine). */
export async function handleActionScheduled(_env: Env, _task: Extract<Task, { kind: "action.scheduled" }>): Promise<void> {
  throw new Error("scheduled actions are not implemented yet");
}

/** Claims due scheduled actions atomically and enqueues them (minute cron). Returns how many. */
export async function claimDueActions(_env: Env, _now: Date): Promise<number> {
  return 0;
}
