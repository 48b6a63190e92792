import { env } from "cloudflare:test";
import { and, eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { auditLog, executions } from "../../../src/db/schema";
import { api, db, makeEndpoint, makeTenant, type Tenant } from "../../fixtures";
import { makeAction } from "../durable/helpers";

// The queue is the platform boundary: tasks are captured, never consumed here.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const gql = (token: string, query: string, variables?: Record<string, unknown>) => api("POST", "/graphql", { token, body: { query, variables } });
const gid = (id: string) => btoa(`gid://switchyard/CustomActionsTriggerDefinition/${id}`);
const SCHEMA = { type: "object", properties: { env: { type: "string", enum: ["staging", "prod"] } }, required: ["env"] };

async function setup(): Promise<{ tenant: Tenant; actionId: string; plain: string }> {
  const tenant = await makeTenant();
  const ep = await makeEndpoint(tenant, "https://receiver.test/hook");
  const actionId = await makeAction(tenant, ep, { name: "Restart", manualInputsSchema: SCHEMA, payload: { env: "{{ inputs.env }}" } });
  const plain = await makeAction(tenant, ep, { name: "Ping" });
  return { tenant, actionId, plain };
}

const INVOKE_VARS = `mutation($id: ID!, $targetObject: IdentifierInput, $manualInputs: JSON) {
  customActionsTriggerInvoke(input: { triggerDefinition: { id: $id }, targetObject: $targetObject, manualInputs: $manualInputs }) { triggerEvent { id } errors { message path } }
}`;

describe("GraphQL inputs", () => {
  it("invoke inputs written inline in the document (null-prototype objects) start an execution", async () => {
    const { tenant, actionId } = await setup();
    const q = `mutation { customActionsTriggerInvoke(input: { triggerDefinition: { id: "${gid(actionId)}" }, targetObject: { id: "svc-7", alias: "web" }, manualInputs: { env: "prod", extra: { deep: [1, { x: null }] } } }) { triggerEvent { id } errors { message path } } }`;
    const res = await gql(tenant.tokens.runner, q);
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
    expect(res.body.data.customActionsTriggerInvoke.errors).toEqual([]);
    const rows = await db().select().from(executions).where(eq(executions.actionId, actionId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ inputs: { env: "prod", extra: { deep: [1, { x: null }] } }, target: { id: "svc-7", alias: "web" } });
  });

  it("bad variables (wrong scalar, wrong input shape) are client errors: named in errors[], not logged as errors, no stack", async () => {
    const { tenant, actionId } = await setup();
    const logged: string[] = [];
    for (const m of ["error", "warn", "log", "info"] as const) vi.spyOn(console, m).mockImplementation((...a: unknown[]) => void logged.push(`${m} ${a.map(String).join(" ")}`));
    const cases: Record<string, unknown>[] = [
      { id: { nested: true } },
      { id: gid(actionId), targetObject: { id: "x", nope: 1 } },
      { id: gid(actionId), targetObject: "not an object" },
      { id: gid(actionId), targetObject: { id: ["a"] } },
    ];
    for (const vars of cases) {
      const res = await gql(tenant.tokens.runner, INVOKE_VARS, vars);
      expect(res.status, JSON.stringify(vars)).toBe(200);
      expect(res.body.data).toBeUndefined();
      expect(res.body.errors[0].message, JSON.stringify(vars)).toMatch(/^Variable "\$\w+" got invalid value/);
      expect(JSON.stringify(res.body)).not.toMatch(/internal error|stack/);
    }
    expect(logged.filter((l) => l.startsWith("error") || l.includes('"level":"error"') || l.includes("stack"))).toEqual([]);
    expect(await db().select().from(executions).where(eq(executions.actionId, actionId))).toHaveLength(0);
  });

  it("manualInputs nested deeper than 32 levels is refused in errors[] (path manualInputs), nothing started", async () => {
    const { tenant, plain } = await setup();
    let deep: unknown = "leaf";
    for (let i = 0; i < 40; i++) deep = { d: deep };
    const res = await gql(tenant.tokens.runner, INVOKE_VARS, { id: gid(plain), manualInputs: deep });
    expect(res.body.data.customActionsTriggerInvoke).toEqual({ triggerEvent: null, errors: [{ message: expect.stringMatching(/deeper than 32/), path: ["manualInputs"] }] });
    expect(await db().select().from(executions).where(eq(executions.actionId, plain))).toHaveLength(0);
  });
});
