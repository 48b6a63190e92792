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

describe("GraphQL limits (refused before execution: HTTP 400, errors[])", () => {
  const refused = (res: { status: number; body: any }, re: RegExp) => {
    expect(res.status).toBe(400);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([{ message: expect.stringMatching(re) }]);
  };

  it("depth over 10 is refused, through fragments too; depth 10 is answered", async () => {
    const { tenant } = await setup();
    // account(1) defs(2) nodes(3) owner(4) + nested __typename-free fields cannot go deeper in
    // this schema, so depth is counted on the document: unknown fields still count.
    const nest = (n: number) => "{ account ".concat("{ a ".repeat(n - 2), "{ id }", " }".repeat(n - 2), " }");
    refused(await gql(tenant.tokens.viewer, nest(11)), /depth 11 exceeds the limit of 10/);
    const ok = await gql(tenant.tokens.viewer, nest(10));
    expect(ok.status).toBe(200); // validation (unknown field a) answers in errors[], not the limit
    expect(ok.body.errors[0].message).not.toMatch(/limit/);
    const frag = `query { account { ...F } } fragment F on Account { a { b { c { d { e { f { g { h { i { j } } } } } } } } } }`;
    refused(await gql(tenant.tokens.viewer, frag), /depth \d+ exceeds the limit of 10/);
  });

  it("more than 20 aliases, more than 5 operations, more than 10000 tokens are refused", async () => {
    const { tenant } = await setup();
    const aliases = `{ ${Array.from({ length: 21 }, (_, i) => `a${i}: account { id }`).join(" ")} }`;
    refused(await gql(tenant.tokens.viewer, aliases), /21 aliases exceed the limit of 20/);
    const twenty = `{ ${Array.from({ length: 20 }, (_, i) => `a${i}: account { id }`).join(" ")} }`;
    expect((await gql(tenant.tokens.viewer, twenty)).status).toBe(200);
    const ops = Array.from({ length: 6 }, (_, i) => `query Q${i} { account { id } }`).join(" ");
    const r = await api("POST", "/graphql", { token: tenant.tokens.viewer, body: { query: ops, operationName: "Q0" } });
    refused(r, /6 operations exceed the limit of 5/);
    const big = `{ account { ${"id ".repeat(10_001)} } }`;
    refused(await gql(tenant.tokens.viewer, big), /10000 tokens/);
  });

  it("more than 5 invokes per request are refused and nothing is started", async () => {
    const { tenant, plain } = await setup();
    const inv = (i: number) => `i${i}: customActionsTriggerInvoke(input: { triggerDefinition: { id: "${gid(plain)}" } }) { errors { message } }`;
    const six = `mutation { ${Array.from({ length: 6 }, (_, i) => inv(i)).join(" ")} }`;
    refused(await gql(tenant.tokens.runner, six), /6 customActionsTriggerInvoke fields exceed the limit of 5/);
    const viaFragment = `mutation { ...M ...M2 } fragment M on Mutation { ${[0, 1, 2].map(inv).join(" ")} } fragment M2 on Mutation { ${[3, 4, 5].map(inv).join(" ")} }`;
    refused(await gql(tenant.tokens.runner, viaFragment), /6 customActionsTriggerInvoke fields/);
    expect(await db().select().from(executions).where(eq(executions.actionId, plain))).toHaveLength(0);
  });
});

describe("GraphQL invoke audit", () => {
  it("writes one audit row per invoke with its target and result, and no aggregate row", async () => {
    const { tenant, actionId, plain } = await setup();
    const q = `mutation { ok: customActionsTriggerInvoke(input: { triggerDefinition: { id: "${gid(plain)}" } }) { errors { message } }
      bad: customActionsTriggerInvoke(input: { triggerDefinition: { id: "${gid(actionId)}" }, manualInputs: { env: "moon" } }) { errors { message } } }`;
    const res = await gql(tenant.tokens.runner, q);
    expect(res.status).toBe(200);
    expect(res.body.data.ok.errors).toEqual([]);
    expect(res.body.data.bad.errors).not.toEqual([]);
    const rows = await db().select().from(auditLog).where(eq(auditLog.orgId, tenant.orgId));
    expect(rows).toHaveLength(2);
    const byTarget = Object.fromEntries(rows.map((r) => [r.targetId, r]));
    expect(byTarget[plain]).toMatchObject({ action: "graphql.customActionsTriggerInvoke", targetType: "action", result: "success", actorType: "api_key" });
    expect(byTarget[actionId]).toMatchObject({ action: "graphql.customActionsTriggerInvoke", targetType: "action", result: "failure" });
    expect((byTarget[plain]!.details as { execution_id?: string }).execution_id).toEqual(expect.any(String));
    const nullTarget = await db().select().from(auditLog).where(and(eq(auditLog.orgId, tenant.orgId), eq(auditLog.action, "graphql.customActionsTriggerInvoke")));
    expect(nullTarget.every((r) => r.targetId !== null)).toBe(true);
  });
});
