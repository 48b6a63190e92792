import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { executions, runs, users } from "../../../src/db/schema";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { issueJwt } from "../../../src/services/tokens";
import { handleRunDeliver } from "../../../src/services/delivery";
import { api, db, makeEndpoint, makeTenant, ADMIN, type Tenant } from "../../fixtures";
import { makeAction, sentBodies, upstreamHandler } from "../durable/helpers";

// The queue is the platform boundary: tests capture tasks and drive the handlers themselves,
// so the pool's background consumer never races them.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const gql = (token: string | undefined, query: string, variables?: Record<string, unknown>) => api("POST", "/graphql", { token, body: { query, variables } });

const LIST = `query GetCustomActionsTriggerDefinitions { account { customActionsTriggerDefinitions { totalCount nodes { __typename id name entityType } } } }`;
const INVOKE = `mutation InvokeCustomAction($triggerDefinitionId: ID!, $targetObject: IdentifierInput, $manualInputs: JSON) {
  customActionsTriggerInvoke(input: { triggerDefinition: { id: $triggerDefinitionId }, targetObject: $targetObject, manualInputs: $manualInputs }) {
    triggerEvent { ...TriggerEventFragment __typename }
    errors { message path __typename }
    __typename
  }
}
fragment TriggerEventFragment on CustomActionsTriggerEvent {
  id status definition { name owner { id name href __typename } __typename }
}`;
const POLL = `query GetCustomActionTriggerEvent($eventId: ID!) { account { customActionsTriggerEvent(id: $eventId) { id status } } }`;

const SCHEMA = { type: "object", properties: { env: { type: "string", enum: ["staging", "prod"] } }, required: ["env"] };

async function setup(): Promise<{ tenant: Tenant; actionId: string; gated: string }> {
  const tenant = await makeTenant();
  const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
  const actionId = await makeAction(tenant, ep, {
    name: "Restart service",
    entityType: "Service",
    owner: { id: "team-1", name: "Platform", href: "https://teams.test/platform" },
    manualInputsSchema: SCHEMA,
    payload: { env: "{{ inputs.env }}", target: "{{ target.id }}", who: "{{ user.email | default: 'api' }}" },
  });
  const gated = await makeAction(tenant, ep, { name: "Drop database", approvalRequired: true });
  return { tenant, actionId, gated };
}

describe("POST /graphql", () => {
  it("lists the account's definitions with opaque global ids", async () => {
    const { tenant, actionId } = await setup();
    await makeTenant("other");
    const res = await gql(tenant.tokens.viewer, LIST);
    expect(res.status).toBe(200);
    const conn = res.body.data.account.customActionsTriggerDefinitions;
    expect(conn.totalCount).toBe(2);
    const node = conn.nodes.find((n: { name: string }) => n.name === "Restart service");
    expect(node).toEqual({ __typename: "CustomActionsTriggerDefinition", id: btoa(`gid://switchyard/CustomActionsTriggerDefinition/${actionId}`), name: "Restart service", entityType: "Service" });
  });

  it("invokes, then polls the event until SUCCESS; API tokens get no `user` in templates", async () => {
    const { tenant, actionId } = await setup();
    const got: unknown[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("receiver.test", async (req) => (got.push(await req.json()), new Response("ok"))));
    const send = vi.spyOn(env.TASKS, "send");
    const defId = btoa(`gid://switchyard/CustomActionsTriggerDefinition/${actionId}`);
    const res = await gql(tenant.tokens.viewer, INVOKE, { triggerDefinitionId: defId, targetObject: { id: "svc-42" }, manualInputs: { env: "prod" } });
    expect(res.status).toBe(200);
    const payload = res.body.data.customActionsTriggerInvoke;
    expect(payload.errors).toEqual([]);
    expect(payload.__typename).toBe("CustomActionsTriggerInvokePayload");
    expect(payload.triggerEvent).toMatchObject({
      __typename: "CustomActionsTriggerEvent",
      status: "PENDING",
      definition: { name: "Restart service", owner: { id: "team-1", name: "Platform", href: "https://teams.test/platform", __typename: "Team" }, __typename: "CustomActionsTriggerDefinition" },
    });
    const eventId = payload.triggerEvent.id as string;
    expect(atob(eventId)).toMatch(/^gid:\/\/switchyard\/CustomActionsTriggerEvent\/[0-9a-f-]{36}$/);
    const exec = (await db().select().from(executions).where(eq(executions.executionId, atob(eventId).split("/").pop()!)))[0]!;
    expect(exec).toMatchObject({ triggerType: "graphql", user: null, inputs: { env: "prod" }, target: { id: "svc-42", alias: null } });
    for (const t of sentBodies(send)) if (t.kind === "run.deliver") await handleRunDeliver(env, t as never);
    expect(got).toEqual([{ env: "prod", target: "svc-42", who: "api" }]);
    const polled = await gql(tenant.tokens.viewer, POLL, { eventId });
    expect(polled.body.data.account.customActionsTriggerEvent).toEqual({ id: eventId, status: "SUCCESS" });
  });

  it("a person's token passes `user` to the execution", async () => {
    const { tenant, actionId } = await setup();
    const userId = uuidv7();
    await db().insert(users).values({ userId, orgId: tenant.orgId, email: "ann@acme.test", name: "Ann", role: "runner", passwordHash: "x", createdAt: nowIso(), updatedAt: nowIso() });
    const jwt = await issueJwt(env, { sub: userId, org_id: tenant.orgId, role: "runner", kind: "user", email: "ann@acme.test", name: "Ann" });
    const res = await gql(jwt, INVOKE, { triggerDefinitionId: actionId, manualInputs: JSON.stringify({ env: "staging" }) });
    const id = atob(res.body.data.customActionsTriggerInvoke.triggerEvent.id).split("/").pop()!;
    const exec = (await db().select().from(executions).where(eq(executions.executionId, id)))[0]!;
    expect(exec.user).toEqual({ id: userId, email: "ann@acme.test", name: "Ann" });
  });

  it("reports bad inputs and unknown definitions in errors[] with triggerEvent null", async () => {
    const { tenant, actionId } = await setup();
    const other = await setup();
    const def = btoa(`gid://switchyard/CustomActionsTriggerDefinition/${actionId}`);
    const bad = await gql(tenant.tokens.admin, INVOKE, { triggerDefinitionId: def, manualInputs: { env: "moon" } });
    expect(bad.body.data.customActionsTriggerInvoke.triggerEvent).toBeNull();
    expect(bad.body.data.customActionsTriggerInvoke.errors[0]).toMatchObject({ path: ["manualInputs", "env"], __typename: "Error", message: expect.any(String) });
    const missing = await gql(tenant.tokens.admin, INVOKE, { triggerDefinitionId: def, manualInputs: {} });
    expect(missing.body.data.customActionsTriggerInvoke.errors[0].path[0]).toBe("manualInputs");
    const foreign = await gql(tenant.tokens.admin, INVOKE, { triggerDefinitionId: btoa(`gid://switchyard/CustomActionsTriggerDefinition/${other.actionId}`) });
    expect(foreign.body.data.customActionsTriggerInvoke).toMatchObject({ triggerEvent: null, errors: [{ message: "trigger definition not found", path: ["input", "triggerDefinition", "id"] }] });
    const garbage = await gql(tenant.tokens.admin, INVOKE, { triggerDefinitionId: "nope" });
    expect(garbage.body.data.customActionsTriggerInvoke.errors[0].path).toEqual(["input", "triggerDefinition", "id"]);
    const notObject = await gql(tenant.tokens.admin, INVOKE, { triggerDefinitionId: def, manualInputs: [1] });
    expect(notObject.body.data.customActionsTriggerInvoke.errors[0].path).toEqual(["manualInputs"]);
    const n = await db().select().from(executions).where(eq(executions.actionId, actionId));
    expect(n).toHaveLength(0);
  });

  it("shows PENDING_APPROVAL and FAILURE after a rejection", async () => {
    const { tenant, gated } = await setup();
    const res = await gql(tenant.tokens.runner, INVOKE, { triggerDefinitionId: btoa(`gid://switchyard/CustomActionsTriggerDefinition/${gated}`) });
    const ev = res.body.data.customActionsTriggerInvoke.triggerEvent;
    expect(ev.status).toBe("PENDING_APPROVAL");
    const run = (await db().select().from(runs).where(eq(runs.executionId, atob(ev.id).split("/").pop()!)))[0]!;
    expect((await api("POST", `/v1/runs/${run.runId}/reject`, { token: tenant.tokens.editor, body: { message: "no" } })).status).toBe(200);
    expect((await gql(tenant.tokens.viewer, POLL, { eventId: ev.id })).body.data.account.customActionsTriggerEvent.status).toBe("FAILURE");
  });

  it("401 without a valid token, 400 for non-GraphQL bodies, errors[] for invalid queries", async () => {
    const { tenant } = await setup();
    const none = await gql(undefined, LIST);
    expect(none.status).toBe(401);
    expect(none.body.errors[0].message).toMatch(/Authorization/);
    expect((await gql("sy_bogus", LIST)).status).toBe(401);
    expect((await gql(ADMIN, LIST)).status).toBe(401);
    const notJson = await api("POST", "/graphql", { token: tenant.tokens.viewer, body: "{", headers: { "content-type": "application/json" } });
    expect(notJson.status).toBe(400);
    expect(notJson.body.errors[0].message).toMatch(/JSON/);
    const syntax = await gql(tenant.tokens.viewer, "query {");
    expect(syntax.status).toBe(400);
    const unknownField = await gql(tenant.tokens.viewer, "{ account { nope } }");
    expect(unknownField.status).toBe(200);
    expect(unknownField.body.errors[0].message).toMatch(/nope/);
    const unknownEvent = await gql(tenant.tokens.viewer, POLL, { eventId: "bm9wZQ==" });
    expect(unknownEvent.body.data.account.customActionsTriggerEvent).toBeNull();
  });
});
