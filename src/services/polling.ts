import type { Env } from "../env";
import type { Task } from "../queue/messages";

/** Handles `trigger.poll`: polls a polling trigger through its Durable Object. */
export async function handleTriggerPoll(_env: Env, _task: Extract<Task, { kind: "trigger.poll" }>): Promise<void> {
  throw new Error("polling is not implemented yet");
}

/** Handles `trigger.tick`: emits one event of a scheduled trigger. */
export async function handleTriggerTick(_env: Env, _task: Extract<Task, { kind: "trigger.tick" }>): Promise<void> {
  throw new Error("scheduled triggers are not implemented yet");
}

/** Claims due polling and scheduled triggers atomically and enqueues them (minute cron). Returns how many. */
export async function claimDueTriggers(_env: Env, _now: Date): Promise<number> {
  return 0;
}
