import { env } from "cloudflare:test";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { triggers } from "../../../src/db/schema";
import { api, db, makeEndpoint, type Tenant } from "../../fixtures";

/** The actions collection path of a tenant's app. */
export const actionsPath = (t: Tenant) => `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/actions`;

/** Creates an action through the API (editor token) and returns its JSON. */
export async function createAction(t: Tenant, body: Record<string, unknown> = {}, endpointUrl = "https://receiver.example.com/hook") {
  const endpoint_id = (body.endpoint_id as string | undefined) ?? (await makeEndpoint(t, endpointUrl));
  const res = await api("POST", actionsPath(t), { token: t.tokens.editor, body: { name: "notify", namespace_id: "ns-1", endpoint_id, ...body } });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body as Record<string, any>;
}

/** Inserts a project trigger of the tenant's app straight into D1. */
export async function makeTrigger(t: Tenant, triggerType: "webhook" | "polling" | "scheduled" = "webhook"): Promise<string> {
  const id = uuidv7();
  const at = nowIso();
  await db().insert(triggers).values({
    projectTriggerId: id, orgId: t.orgId, projectId: t.appId, providerId: "webhook", triggerId: "on_any_event",
    triggerType, status: "ENABLED", createdBy: "test", createdAt: at, updatedAt: at,
  });
  return id;
}

export { env };
