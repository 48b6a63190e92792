/**
 * Contract fixes from "Trust under attack and faults": the unified create answers 200 (16),
 * no request input ever travels in a response header (17), and every 404/422 detail item
 * carries `input` and `ctx` (18).
 */
import { env, SELF } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { api, makeEndpoint, makeTenant } from "../../fixtures";

beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const MISSING = "0193a5c8-0000-7000-8000-00000000dead";

describe("16: POST /api/v2/actions create answers 200", () => {
  it("create task and create pipeline answer HTTP 200 (the document's only success code)", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const task = await api("POST", "/api/v2/actions", {
      token: t.tokens.editor,
      body: { action: "create", type: "task", version: 1, settings: { app_id: t.appId, name: "n", endpoint_id: ep, namespace_id: "ops" } },
    });
    expect(task.status).toBe(200);
    expect(task.body.results[0]).toMatchObject({ ok: true, data: { name: "n" } });
    const pipe = await api("POST", "/api/v2/actions", {
      token: t.tokens.editor,
      body: { action: "create", type: "pipeline", version: 1, settings: { name: "p", app_id: t.appId, steps: [{ name: "g", type: "approval" }] } },
    });
    expect(pipe.status).toBe(200);
    expect(pipe.body.results[0]).toMatchObject({ ok: true, data: { name: "p" } });
  });

  it("the OpenAPI document lists no 201 for /api/v2/actions", async () => {
    const doc = (await api("GET", "/openapi.json")).body;
    expect(Object.keys(doc.paths["/api/v2/actions"].post.responses)).not.toContain("201");
  });
});

/** Every header value of a response, joined (to look for echoed input). */
const headerText = (h: Headers) => [...h.entries()].map(([k, v]) => `${k}: ${v}`).join("\n");

describe("17: no request input in response headers", () => {
  const ids = ["%C3%A9t%C3%A9", "%00", "a%00b", "%FF", "%2F..%2F", "%E2%80%A8", "%0D%0Ax-injected:%201", "x".repeat(10_000), "\u00e9\u4e2d"];
  it.each(ids.map((id) => [id.slice(0, 40), id]))("POST /v1/fleets/%s/trigger answers the 400 envelope, no 500, no echoed id", async (_, id) => {
    const t = await makeTenant();
    const res = await SELF.fetch(`http://sy.test/v1/fleets/${id}/trigger`, {
      method: "POST",
      headers: { authorization: `Bearer ${t.tokens.admin}`, "content-type": "application/json" },
      body: JSON.stringify({ env: {} }),
    });
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({ request: { id: expect.any(String) }, data: null });
    expect(res.headers.get("x-injected")).toBeNull();
    const decoded = (() => { try { return decodeURIComponent(id); } catch { return id; } })();
    expect(headerText(res.headers)).not.toContain(decoded.slice(0, 30));
  });

  it("the fleet X-Error-Message carries a fixed reason, never the body's keys or the fleet id", async () => {
    const t = await makeTenant();
    const marker = "ZZmarker";
    const extra = await api("POST", `/v1/fleets/${MISSING}/trigger`, { token: t.tokens.admin, body: { env: {}, [marker]: 1 } });
    expect(extra.status).toBe(400);
    expect(extra.headers.get("x-error-message")).toBeTruthy();
    expect(headerText(extra.headers)).not.toContain(marker);
    const val = await api("POST", `/v1/fleets/${MISSING}/trigger`, { token: t.tokens.admin, body: { env: { [marker]: 1 } } });
    expect(val.status).toBe(400);
    expect(headerText(val.headers)).not.toContain(marker);
    const unknown = await api("POST", `/v1/fleets/${MISSING}/trigger`, { token: t.tokens.admin, body: { env: {} } });
    expect(unknown.status).toBe(400);
    expect(unknown.headers.get("x-error-message")).toBeTruthy();
    expect(headerText(unknown.headers)).not.toContain(MISSING);
  });
});

/** Asserts every item of a FastAPI detail[] carries input (possibly null) and an object ctx. */
function expectFullItems(body: { detail: Record<string, unknown>[] }) {
  expect(Array.isArray(body.detail)).toBe(true);
  for (const item of body.detail) {
    expect(item, JSON.stringify(item)).toHaveProperty("input");
    expect(typeof item.ctx === "object" && item.ctx !== null && !Array.isArray(item.ctx), JSON.stringify(item)).toBe(true);
  }
}

describe("18: every 404 and 422 detail item carries input and ctx", () => {
  it("a domain 404 (notFound) for a missing action", async () => {
    const t = await makeTenant();
    const res = await api("GET", `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/actions/${MISSING}`, { token: t.tokens.admin });
    expect(res.status).toBe(404);
    expectFullItems(res.body);
  });

  it("the unknown-route 404", async () => {
    const res = await api("GET", "/no/such/route");
    expect(res.status).toBe(404);
    expectFullItems(res.body);
    expect(res.body.detail[0].input).toBe("/no/such/route");
  });

  it("a domain 422 raised without an input value (invalid() with no input)", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const res = await api("POST", `/v1/orgs/${t.orgId}/workspaces/${t.workspaceId}/apps/${t.appId}/actions`, {
      token: t.tokens.admin,
      body: { name: "a", endpoint_id: ep, namespace_id: "ns", thread_mode: "fixed" },
    });
    expect(res.status).toBe(422);
    expectFullItems(res.body);
    expect(res.body.detail[0].loc).toEqual(["body", "thread_id"]);
  });

  it("a 404 for another tenant's pipeline through the pipelines face", async () => {
    const t = await makeTenant();
    const res = await api("GET", `/api/v2/pipelines/${MISSING}`, { token: t.tokens.admin });
    expect(res.status).toBe(404);
    expectFullItems(res.body);
  });
});

describe("found by the fuzz", () => {
  it.each(["__proto__", "constructor", "toString", "hasOwnProperty"])("POST /v1/webhooks/%s is a 404, not a 500 (provider lookup by own key only)", async (id) => {
    const res = await api("POST", `/v1/webhooks/${id}`, { body: { a: 1 } });
    expect(res.status).toBe(404);
    expect(res.body.detail[0]).toMatchObject({ type: "not_found", input: null, ctx: {} });
  });
});
