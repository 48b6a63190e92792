import { onMinute } from "./cron/scheduled";
import type { Env } from "./env";
import { createApp } from "./http/app";
import { consumeTasks } from "./queue/consumer";
import { consumeDeadLetters } from "./queue/dead-letters";

export { TriggerState } from "./durable/trigger-state";

const app = createApp();

export default {
  fetch: app.fetch,
  async queue(batch, env, _ctx?: ExecutionContext) {
    if (batch.queue.endsWith("-dlq")) return consumeDeadLetters(batch, env);
    return consumeTasks(batch, env);
  },
  async scheduled(controller, env, _ctx?: ExecutionContext) {
    await onMinute(controller, env);
  },
} satisfies ExportedHandler<Env>;
