import type { Env } from "../env";
import type { Task } from "./messages";

type Handler<K extends Task["kind"]> = (env: Env, task: Extract<Task, { kind: K }>) => Promise<void>;
type Handlers = { [K in Task["kind"]]: Handler<K> };

const notYet = (kind: string) => async () => {
  throw new Error(`no handler for task kind '${kind}' yet`);
};

/** One handler per task kind. Each one is idempotent: a redelivered task changes nothing twice. */
export const taskHandlers: Handlers = {
  "event.route": notYet("event.route"),
  "run.deliver": notYet("run.deliver"),
  "action.scheduled": notYet("action.scheduled"),
  "trigger.poll": notYet("trigger.poll"),
  "trigger.tick": notYet("trigger.tick"),
  "pipeline.advance": notYet("pipeline.advance"),
};
