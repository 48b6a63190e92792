/**
 * Durable state and the other faces end to end, against `npm start`: a polling trigger
 * against a local feed through /__scheduled, a pipeline through an approval gate, a GraphQL
 * invoke polled to SUCCESS, and a fleet API trigger whose env overrides reach the templates.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, runCron, setupTenant, startReceiver, waitFor, type Recorded } from "./harness";

let t: Awaited<ReturnType<typeof setupTenant>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
let feedItems = [{ id: "a1", title: "first" }, { id: "a2", title: "second" }];

beforeAll(async () => {
  t = await setupTenant();
  receiver = await startReceiver((_n, req: Recorded) =>
    req.path === "/feed" ? { status: 200, body: JSON.stringify({ data: { items: feedItems } }) } : 200,
  );
});
afterAll(() => receiver.stop());

async function endpoint(path: string) {
  const res = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: path, url: `${receiver.url}${path}` } });
  return res.body.endpoint_id as string;
}
async function action(body: Record<string, unknown>) {
  const res = await call("POST", `${t.base}/actions`, { token: t.token, body: { namespace_id: "e2e", ...body } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.action_id as string;
}
const delivered = (path: string) => receiver.requests.filter((r) => r.path === path);

describe("durable state and faces end to end", () => {
  it("polls a local JSON feed through /__scheduled, emitting each item once", async () => {
    const trig = await call("POST", `/projects/${t.appId}/triggers`, {
      token: t.token,
      body: { provider_id: "http", trigger_id: "poll", connection_id: null, trigger_config: { url: `${receiver.url}/feed`, items_path: "data.items", id_field: "id", polling_frequency: 60 } },
    });
    expect(trig.status, JSON.stringify(trig.body)).toBeLessThan(300);
    const triggerId = trig.body.project_trigger_id as string;
    await action({ name: "on-item", endpoint_id: await endpoint("/items"), trigger_ids: [triggerId], payload: { title: "{{ event.body.title }}" } });
    await call("POST", `/triggers/${triggerId}/enable`, { token: t.token });
    await runCron();
    const events = await waitFor(async () => {
      const r = await call("GET", `/v1/orgs/${t.orgId}/events?trigger_id=${triggerId}`, { token: t.token });
      return r.body.total >= 2 ? r.body : undefined;
    }, "polled events");
    expect(events.total).toBe(2);
    await waitFor(async () => delivered("/items").length === 2, "both items delivered");
    // The same items again (a repeated poll via the deprecated endpoint) emit nothing new; a new item is emitted once.
    feedItems = [...feedItems, { id: "a3", title: "third" }];
    const key = (await call("POST", `/v1/orgs/${t.orgId}/api-keys`, { token: t.token, body: { name: "poll", role: "runner" } })).body.token;
    expect((await call("POST", `/organizations/${t.orgId}/triggers/${triggerId}/polling/key/${key}`)).status).toBeLessThan(300);
    await waitFor(async () => delivered("/items").length === 3, "third item delivered");
    const trigger = await call("GET", `/triggers/${triggerId}`, { token: t.token });
    expect(trigger.body.cursor_data).toBeTruthy();
    expect((await call("GET", `/v1/orgs/${t.orgId}/events?trigger_id=${triggerId}`, { token: t.token })).body.total).toBe(3);
  });

  it("runs a pipeline through an approval gate", async () => {
    const step1 = await action({ name: "build", endpoint_id: await endpoint("/build") });
    const step2 = await action({ name: "deploy", endpoint_id: await endpoint("/deploy"), payload: { target: "{{ env.TARGET }}" } });
    const p = await call("POST", "/api/v2/pipelines", {
      token: t.token,
      body: { name: "release", app_id: t.appId, steps: [{ name: "build", action_id: step1 }, { name: "gate", type: "approval" }, { name: "deploy", action_id: step2 }], variables: { TARGET: "staging" } },
    });
    expect(p.status, JSON.stringify(p.body)).toBeLessThan(300);
    const pipelineId = p.body.pipeline_id as string;
    const run = await call("POST", "/api/v2/actions", { token: t.token, body: { action: "run", type: "pipeline", version: 1, target: [pipelineId] } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    await waitFor(async () => delivered("/build").length === 1, "build step delivered");
    const status = await waitFor(async () => {
      const s = await call("POST", "/api/v2/actions", { token: t.token, body: { action: "status", type: "pipeline", version: 1, target: [pipelineId] } });
      return JSON.stringify(s.body).includes("pending_approval") ? s.body : undefined;
    }, "pipeline waiting at the gate");
    expect(status).toBeTruthy();
    expect(delivered("/deploy")).toHaveLength(0);
    const approve = await call("POST", "/api/v2/actions", { token: t.token, body: { action: "approve", type: "pipeline", version: 1, target: [pipelineId] } });
    expect(approve.status, JSON.stringify(approve.body)).toBe(200);
    const dep = await waitFor(async () => delivered("/deploy")[0], "deploy step delivered");
    expect(JSON.parse(dep.body)).toEqual({ target: "staging" });
  });

  it("invokes an action through GraphQL and polls the event to SUCCESS", async () => {
    const id = await action({ name: "gql", endpoint_id: await endpoint("/gql"), entity_type: "Service", payload: { service: "{{ target.id }}" } });
    const list = await call("POST", "/graphql", { token: t.token, body: { query: "{ account { customActionsTriggerDefinitions { totalCount nodes { __typename id name entityType } } } }" } });
    const node = list.body.data.account.customActionsTriggerDefinitions.nodes.find((n: any) => n.name === "gql");
    expect(node).toMatchObject({ __typename: "CustomActionsTriggerDefinition", entityType: "Service" });
    const inv = await call("POST", "/graphql", {
      token: t.token,
      body: {
        query: `mutation($id: ID!, $target: IdentifierInput, $inputs: JSON) { customActionsTriggerInvoke(input: { triggerDefinition: { id: $id }, targetObject: $target, manualInputs: $inputs }) { triggerEvent { id status __typename } errors { message path } __typename } }`,
        variables: { id: node.id, target: { id: "svc-42" }, inputs: {} },
      },
    });
    const payload = inv.body.data.customActionsTriggerInvoke;
    expect(payload.errors).toEqual([]);
    expect(payload.triggerEvent.status).toBe("PENDING");
    const done = await waitFor(async () => {
      const r = await call("POST", "/graphql", { token: t.token, body: { query: `query($id: ID!) { account { customActionsTriggerEvent(id: $id) { id status } } }`, variables: { id: payload.triggerEvent.id } } });
      const s = r.body.data.account.customActionsTriggerEvent.status;
      return s === "SUCCESS" || s === "FAILURE" ? s : undefined;
    }, "GraphQL event to finish");
    expect(done).toBe("SUCCESS");
    expect(JSON.parse(delivered("/gql")[0]!.body)).toEqual({ service: "svc-42" });
    expect(id).toBeTruthy();
  });

  it("triggers a fleet with env overrides that reach every step's templates", async () => {
    const step = await action({ name: "vessel", endpoint_id: await endpoint("/vessel"), payload: { region: "{{ env.REGION }}", mode: "{{ env.MODE }}" } });
    const p = await call("POST", "/api/v2/pipelines", { token: t.token, body: { name: "fleet", app_id: t.appId, steps: [{ name: "vessel", action_id: step }], variables: { MODE: "default" } } });
    const fleetId = p.body.pipeline_id as string;
    const res = await call("POST", `/v1/fleets/${fleetId}/trigger`, { token: t.token, body: { env: { REGION: "eu-west" } } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    expect(res.body.data).toMatchObject({ fleet_id: fleetId, project_id: t.appId, org_id: t.orgId });
    expect(res.body.request.id).toBeTruthy();
    const got = await waitFor(async () => delivered("/vessel")[0], "fleet step delivered");
    expect(JSON.parse(got.body)).toEqual({ region: "eu-west", mode: "default" });
    const bad = await call("POST", `/v1/fleets/${fleetId}/trigger`, { token: t.token, body: { env: { REGION: 5 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.data).toBeNull();
    expect((await call("POST", `/v1/fleets/${fleetId}/trigger`, { body: { env: {} } })).status).toBe(401);
  });
});
