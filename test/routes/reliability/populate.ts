/**
 * Populates a tenant with one of every resource, written straight to D1, so the
 * reliability tests can aim every route of the OpenAPI document at real ids of another org.
 */
import { env } from "cloudflare:test";
import { hashPassword } from "../../../src/core/crypto";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { actions, events, executions, jobs, pipelines, runs, triggers, users } from "../../../src/db/schema";
import { db, makeConnection, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";

export interface Populated extends Tenant {
  ids: Record<string, string>;
  secrets: string[];
}

/** One org with a workspace, app, endpoint (with secret), connection, user, trigger, event, action, run, pipeline and job. */
export async function populateTenant(name: string): Promise<Populated> {
  const t = await makeTenant(name);
  const now = nowIso();
  const endpointSecret = `whsec_${btoa(`${name}-endpoint-secret-value-0123`)}`;
  const connectionSecret = `${name}-connection-signing-secret-s3cr3t`;
  const endpointId = await makeEndpoint(t, "https://receiver.example/hook", { secret: endpointSecret });
  const connectionId = await makeConnection(t, "github", { signing_secret: connectionSecret });
  const userId = uuidv7();
  await db().insert(users).values({ userId, orgId: t.orgId, email: `${name}-${userId}@example.com`, name, role: "admin", passwordHash: await hashPassword("pw-123456", 1000), createdAt: now, updatedAt: now });
  const projectTriggerId = uuidv7();
  await db().insert(triggers).values({
    projectTriggerId, orgId: t.orgId, projectId: t.appId, connectionId, providerId: "github", triggerId: "on_any_event",
    triggerType: "webhook", status: "ENABLED", createdBy: "fixture", createdAt: now, updatedAt: now,
  });
  const eventId = uuidv7();
  await db().insert(events).values({
    eventId, orgId: t.orgId, appId: t.appId, projectTriggerId, providerId: "github", eventType: "push", dedupKey: eventId,
    headers: { "x-github-event": "push" }, body: JSON.stringify({ ref: "refs/heads/main" }), status: "received", receivedAt: now,
  });
  const actionId = uuidv7();
  await db().insert(actions).values({
    actionId, orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, endpointId, name: `${name}-action`, namespaceId: "ns",
    triggerIds: [projectTriggerId], approvalRequired: true, createdBy: "fixture", createdAt: now, updatedAt: now,
  });
  const executionId = uuidv7();
  await db().insert(executions).values({
    executionId, orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, actionId, triggerType: "manual", status: "pending_approval",
    createdAt: now, updatedAt: now,
  });
  const runId = uuidv7();
  await db().insert(runs).values({
    runId, orgId: t.orgId, workspaceId: t.workspaceId, actionId, executionId, status: "pending_approval", attempt: 1, triggerType: "manual", triggeredAt: now,
  });
  const pipelineId = uuidv7();
  await db().insert(pipelines).values({
    pipelineId, orgId: t.orgId, workspaceId: t.workspaceId, appId: t.appId, name: `${name}-pipeline`,
    steps: [{ name: "one", action_id: actionId }], createdBy: "fixture", createdAt: now, updatedAt: now,
  });
  const jobId = uuidv7();
  await db().insert(jobs).values({
    jobId, orgId: t.orgId, kind: "runs.retry", filter: { status: "failed", until: now }, status: "succeeded", total: 0, createdBy: "fixture", createdAt: now, updatedAt: now, finishedAt: now,
  });
  const keyId = (await env.DB.prepare("SELECT key_id FROM api_keys WHERE org_id = ? AND role = 'viewer'").bind(t.orgId).first<{ key_id: string }>())!.key_id;
  return {
    ...t,
    secrets: [endpointSecret, connectionSecret],
    ids: {
      org_id: t.orgId, workspace_id: t.workspaceId, app_id: t.appId, project_id: t.appId, endpoint_id: endpointId,
      connection_id: connectionId, user_id: userId, key_id: keyId, project_trigger_id: projectTriggerId, event_id: eventId,
      action_id: actionId, run_id: runId, execution_id: executionId, pipeline_id: pipelineId, fleet_id: pipelineId, job_id: jobId,
    },
  };
}
