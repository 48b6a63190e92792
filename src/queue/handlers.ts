import type { Env } from "../env";
import { handleEndpointDrain } from "../services/circuit";
import { handleRunDeliver } from "../services/delivery";
import { handleEventIngest } from "../services/event-store";
import { handleJobStep } from "../services/jobs";
import { handlePipelineAdvance } from "../services/pipeline-engine";
import { handleTriggerPoll, handleTriggerTick } from "../services/polling";
import { handleEventRoute } from "../services/routing";
import { handleActionScheduled } from "../services/schedules";
import type { Task } from "./messages";

type Handler<K extends Task["kind"]> = (env: Env, task: Extract<Task, { kind: K }>) => Promise<void>;
type Handlers = { [K in Task["kind"]]: Handler<K> };

/** One handler per task kind. Each one is idempotent: a redelivered task changes nothing twice. */
export const taskHandlers: Handlers = {
  "event.ingest": handleEventIngest,
  "event.route": handleEventRoute,
  "run.deliver": handleRunDeliver,
  "action.scheduled": handleActionScheduled,
  "trigger.poll": handleTriggerPoll,
  "trigger.tick": handleTriggerTick,
  "pipeline.advance": handlePipelineAdvance,
  "endpoint.drain": handleEndpointDrain,
  "job.step": handleJobStep,
};
