import { and, eq, inArray } from "drizzle-orm";
import { nowIso } from "../core/ids";
import { getDb } from "../db/client";
import { executions, runs } from "../db/schema";
import type { Env } from "../env";
import { afterCompletion, completionStatements } from "../services/executions";
import { Task } from "./messages";

/**
 * Consumer of the dead-letter queue. Guarantees: every message is logged and acked (nothing
 * loops); a `run.deliver` task whose run is not final yet (its handler kept failing, or the
 * run was stranded mid-delivery) marks that run failed with error_code `dead_lettered`,
 * closes its execution once (counters) and advances its pipeline. Runs the delivery worker
 * already finished (it dead-letters exhausted runs itself) are left untouched.
 */
export async function consumeDeadLetters(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  const db = getDb(env.DB);
  for (const msg of batch.messages) {
    console.error(JSON.stringify({ level: "warn", msg: "dead letter", id: msg.id, body: msg.body }));
    const task = Task.safeParse(msg.body);
    try {
      if (task.success && task.data.kind === "run.deliver") {
        const at = nowIso();
        const run = await db
          .update(runs)
          .set({ status: "failed", completedAt: at, errorCode: "dead_lettered", errorMessage: "delivery task exhausted its retries and was dead-lettered" })
          .where(and(eq(runs.runId, task.data.run_id), inArray(runs.status, ["pending", "running"])))
          .returning()
          .get();
        if (run) {
          const exec = await db.select().from(executions).where(and(eq(executions.orgId, run.orgId), eq(executions.executionId, run.executionId))).get();
          if (exec) {
            await db.batch(completionStatements(db, exec, "failed", at));
            await afterCompletion(env, exec);
          }
        }
      }
    } catch (err) {
      console.error(JSON.stringify({ level: "error", msg: "dead letter handling failed", id: msg.id, error: String(err) }));
    }
    msg.ack();
  }
}
