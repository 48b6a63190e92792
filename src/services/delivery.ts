import type { Env } from "../env";
import type { Task } from "../queue/messages";

/** Handles `run.deliver`: one delivery attempt of one run (actions engine). */
export async function handleRunDeliver(_env: Env, _task: Extract<Task, { kind: "run.deliver" }>): Promise<void> {
  throw new Error("delivery is not implemented yet");
}
