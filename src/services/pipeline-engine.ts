import type { Env } from "../env";
import type { Task } from "../queue/messages";

/** Handles `pipeline.advance`: moves a pipeline run to its next step. */
export async function handlePipelineAdvance(_env: Env, _task: Extract<Task, { kind: "pipeline.advance" }>): Promise<void> {
  throw new Error("pipelines are not implemented yet");
}
