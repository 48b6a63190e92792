/** Rows written straight to D1 for the console and metrics tests (as ingestion and delivery would). */
import { uuidv7 } from "../../../src/core/ids";
import { events, executions, runs } from "../../../src/db/schema";
import { db, type Tenant } from "../../fixtures";

export async function seedEvent(t: Tenant, e: Partial<typeof events.$inferInsert> & { receivedAt: string }): Promise<string> {
  const eventId = e.eventId ?? uuidv7(Date.parse(e.receivedAt));
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId: "trg-1", providerId: "webhook", eventType: null,
    dedupKey: eventId, headers: { "content-type": "application/json" }, body: JSON.stringify({ id: 1 }), status: "routed", matchedActions: [], ...e,
  });
  return eventId;
}

/** One execution with one run (attempt 1) of `actionId`, in `status`, triggered at `triggeredAt`. */
export async function seedRun(
  t: Tenant,
  actionId: string,
  r: Partial<typeof runs.$inferInsert> & { triggeredAt: string; status: (typeof runs.$inferInsert)["status"] },
  exec: Partial<typeof executions.$inferInsert> = {},
): Promise<{ runId: string; executionId: string }> {
  const executionId = uuidv7(Date.parse(r.triggeredAt));
  const runId = r.runId ?? uuidv7(Date.parse(r.triggeredAt));
  const final = ["success", "failed", "cancelled", "rejected"].includes(r.status);
  await db().insert(executions).values({
    executionId, orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, actionId, triggerType: "api", status: r.status,
    createdAt: r.triggeredAt, updatedAt: r.triggeredAt, ...exec,
  });
  await db().insert(runs).values({
    runId, orgId: t.orgId, workspaceId: t.workspaceId, actionId, executionId, attempt: 1, triggerType: "api",
    completedAt: final ? r.triggeredAt : null, ...r,
  });
  return { runId, executionId };
}
