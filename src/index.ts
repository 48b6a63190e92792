import { onMinute } from "./cron/scheduled";
import type { Env } from "./env";
import { createApp } from "./http/app";
import { consumeTasks } from "./queue/consumer";
import { consumeDeadLetters } from "./queue/dead-letters";
import { setInboxSink } from "./durable/inbox";
import { settleIngested } from "./services/event-store";

export { TriggerState } from "./durable/trigger-state";

const app = createApp();
// The ingest inboxes store and route what they hold exactly as the queue consumer does.
setInboxSink(settleIngested);

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
