/**
 * Fuzz that reaches the parsers. Every documented route (from /openapi.json) gets at least 100
 * seeded runs (seed = SEED ^ hash(route), printed by fast-check with the failing input): JSON
 * bodies sent as application/json with wrong types per field of the route's own schema, huge
 * strings, 10,000-deep nesting, invalid UTF-8, duplicate keys and edge numbers; hostile path
 * parameters and query strings. Every path parameter of every route is also swept with a fixed
 * list of hostile ids. GraphQL variables and the fleet `env` shape get their own properties.
 * The only answers allowed are below 500, in the documented shape of the face, with no stack
 * trace and no request input in a header.
 */
import { env, SELF } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { api } from "../../fixtures";
import { bodySchema, hostileQuery, hostileRaw, NASTY_IDS, nastyId, queryNames, seedFor, wrongTypeBody, type Doc } from "./fuzz-inputs";
import { populateTenant, type Populated } from "./populate";
import { documentedRoutes, fillPath, type Route } from "./routes";

const SEED = 20261122;
const RUNS = 100;
/** Routes fuzzed at once. */
const LANES = 6;
/** Thousands of requests per test: generous so a loaded machine does not turn a pass into a timeout. */
const FUZZ_TIMEOUT_MS = 600_000;
const STACK = /\bat \S+ \(|\.ts:\d+:\d+|node_modules|Error: .*\n\s+at /;

// The queue and the network are platform boundaries: nothing the fuzz enqueues runs in the background.
beforeAll(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("refused by the fuzz", { status: 503 }));
});
afterAll(() => vi.restoreAllMocks());

/** Checks an answer: below 500, the documented shape of its face, no stack, no input in a header. */
function assertDocumented(label: string, template: string, status: number, text: string, headers: Headers, echoed?: string) {
  const where = `${label} answered ${status}: ${text.slice(0, 300)}`;
  expect(status, where).toBeLessThan(500);
  expect(STACK.test(text), `${label} leaked a stack trace: ${text.slice(0, 300)}`).toBe(false);
  for (const [k, v] of headers) expect(/^[\x20-\x7e]*$/.test(v), `${label} header ${k} is not printable ASCII: ${v.slice(0, 100)}`).toBe(true);
  if (echoed && echoed.length >= 6) {
    const all = [...headers].map(([k, v]) => `${k}: ${v}`).join("\n");
    // Both forms must be long enough to mean anything: "%35%32" decodes to "52", which any content-length may hold.
    const decoded = safeDecode(echoed);
    expect(all.includes(echoed) || (decoded.length >= 6 && all.includes(decoded)), `${label} echoed request input in a header`).toBe(false);
  }
  if (status < 400) return;
  let body: any;
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`${where} — not JSON`);
  }
  // A path id that is empty or holds "/" leaves its route: the unknown-route 404 (REST shape) is then the documented answer.
  const noRoute = status === 404 && Array.isArray(body.detail) && /^no route for /.test(String(body.detail[0]?.msg));
  if (noRoute) expect(body.detail[0], where).toMatchObject({ type: "not_found", input: expect.any(String), ctx: expect.any(Object) });
  else if (template === "/graphql") expect(Array.isArray(body.errors), where).toBe(true);
  else if (template.startsWith("/v1/fleets/")) expect(body, where).toEqual({ request: { id: expect.any(String) }, data: null });
  else if (template === "/v1/oauth/token") expect(typeof body.error, where).toBe("string");
  else {
    expect(Array.isArray(body.detail), `${label} ${status} has no detail[]: ${text.slice(0, 200)}`).toBe(true);
    if (status === 404 || status === 422) for (const item of body.detail) expect("input" in item && typeof item.ctx === "object" && item.ctx !== null, `${label} item lacks input/ctx: ${JSON.stringify(item).slice(0, 200)}`).toBe(true);
  }
}

const safeDecode = (s: string) => {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
};

/** The route's path with `{name}` filled from the tenant, and `fuzzed` (already URL-encoded) substituted raw. */
function pathWith(route: Route, t: Populated, fuzzed?: { name: string; value: string }): string | null {
  const base = fillPath(route.template, t.ids, { api_key: t.tokens.admin });
  if (!base || !fuzzed) return base;
  return route.template.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === fuzzed.name ? fuzzed.value : fillPath(`{${name}}`, t.ids, { api_key: t.tokens.admin })!,
  );
}

const paramsOf = (template: string) => [...template.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** Routes that destroy what later routes address run last, the org itself at the very end. */
function ordered(routes: Route[]): Route[] {
  const rank = (r: Route) => (r.template === "/v1/orgs/{org_id}" && r.method === "DELETE" ? 2 : r.method === "DELETE" ? 1 : 0);
  return [...routes].sort((a, b) => rank(a) - rank(b));
}

/** Runs `work` for every item, `width` at a time (requests wait on D1, not on the CPU); the first failure wins. */
async function pool<T>(items: T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: unknown = null;
  const lane = async () => {
    while (failed === null && next < items.length) {
      const item = items[next++]!;
      try {
        await work(item);
      } catch (err) {
        failed ??= err;
      }
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  if (failed !== null) throw failed;
}

/** Non-destructive routes in parallel lanes, then the DELETE routes one by one in order. */
async function eachRoute(routes: Route[], work: (r: Route) => Promise<void>): Promise<void> {
  await pool(routes.filter((r) => r.method !== "DELETE"), LANES, work);
  await pool(routes.filter((r) => r.method === "DELETE"), 1, work);
}

async function send(route: Route, t: Populated, path: string, query: string, body: string | Uint8Array | undefined, contentType = "application/json") {
  const headers: Record<string, string> = { authorization: `Bearer ${t.tokens.admin}` };
  if (body !== undefined) headers["content-type"] = contentType;
  const res = await SELF.fetch(`http://sy.test${path}${query ? `?${query}` : ""}`, { method: route.method, headers, body: route.method === "GET" ? undefined : body });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

describe("fuzzing every documented route", () => {
  it(`${RUNS}+ seeded runs per route: schema-aware wrong types, hostile JSON, path ids and query strings`, async () => {
    const t = await populateTenant("fuzz");
    const doc = (await api("GET", "/openapi.json")).body as Doc;
    const routes = ordered(await documentedRoutes());
    expect(routes.length).toBeGreaterThan(40);
    await eachRoute(routes, async (route) => {
      const label = `${route.method} ${route.template}`;
      const schema = bodySchema(doc, route.template, route.method);
      const fields = Object.keys(schema?.properties ?? {});
      const sendsBody = route.method !== "GET";
      const body: fc.Arbitrary<string | Uint8Array | undefined> = !sendsBody
        ? fc.constant(undefined)
        : fc.oneof(
            { weight: schema ? 3 : 0, arbitrary: schema ? wrongTypeBody(doc, schema).map((v) => JSON.stringify(v)) : fc.constant("{}") },
            { weight: 3, arbitrary: hostileRaw(fields) },
          );
      const params = paramsOf(route.template);
      const fuzzedParam = params.length ? fc.option(fc.record({ name: fc.constantFrom(...params), value: nastyId }), { freq: 3 }) : fc.constant(null);
      const query = fc.oneof(fc.constant(""), hostileQuery(queryNames(doc, route.template, route.method)));
      await fc.assert(
        fc.asyncProperty(fuzzedParam, query, body, async (fz, q, b) => {
          const path = pathWith(route, t, fz ?? undefined);
          if (!path) return;
          const res = await send(route, t, path, q, b);
          assertDocumented(`${label} [path ${path.slice(0, 120)}] [query ${q.slice(0, 80)}]`, route.template, res.status, res.text, res.headers, fz?.value);
        }),
        { seed: seedFor(SEED, label), numRuns: RUNS },
      );
    });
  }, FUZZ_TIMEOUT_MS);

  it("every path parameter of every documented route survives every hostile id", async () => {
    const t = await populateTenant("fuzzpath");
    const routes = ordered(await documentedRoutes());
    await eachRoute(routes, async (route) => {
      for (const name of paramsOf(route.template)) {
        for (const value of NASTY_IDS) {
          const path = pathWith(route, t, { name, value })!;
          const res = await send(route, t, path, "", route.method === "GET" ? undefined : route.template.startsWith("/v1/fleets/") ? '{"env":{}}' : "{}");
          assertDocumented(`${route.method} ${route.template} {${name}}=${value.slice(0, 60)}`, route.template, res.status, res.text, res.headers, value);
        }
      }
    });
  }, FUZZ_TIMEOUT_MS);
});

describe("fuzzing GraphQL variables", () => {
  const INVOKE = "mutation($input: CustomActionsTriggerInvokeInput!) { customActionsTriggerInvoke(input: $input) { triggerEvent { id status } errors { message path } } }";
  const EVENT = "query($id: ID!) { account { customActionsTriggerEvent(id: $id) { id status } } }";
  const DEFS = "query($first: Int, $after: String) { account { customActionsTriggerDefinitions(first: $first, after: $after) { totalCount nodes { id } } } }";
  const scalar = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom("", "\u0000", "é中", "x".repeat(20_000), 1e308, -0, 2 ** 53 + 1, 2 ** 31, -(2 ** 31) - 1, 1.5, true, null));

  it(`wrong scalars and wrong input shapes for customActionsTriggerInvoke, event ids and paging (${RUNS * 3} runs)`, async () => {
    const t = await populateTenant("fuzzgql");
    const defId = t.ids.action_id!;
    const identifier = fc.oneof(scalar, fc.record({ id: scalar, alias: scalar }, { requiredKeys: [] }), fc.constant({ id: defId }), fc.constant({ id: defId, extra: 1 }));
    const input = fc.oneof(
      scalar,
      fc.record({ triggerDefinition: identifier, targetObject: identifier, manualInputs: fc.oneof(scalar, fc.constantFrom("{", '{"a":1}', "[]", "null")) }, { requiredKeys: [] }),
      fc.dictionary(fc.string({ maxLength: 10 }), scalar, { maxKeys: 3 }),
    );
    const cases = fc.oneof(
      input.map((i) => ({ query: INVOKE, variables: { input: i } as unknown })),
      scalar.map((id) => ({ query: EVENT, variables: { id } as unknown })),
      fc.record({ first: scalar, after: scalar }, { requiredKeys: [] }).map((v) => ({ query: DEFS, variables: v as unknown })),
      fc.tuple(fc.constantFrom(INVOKE, EVENT, DEFS), fc.oneof(fc.string(), fc.array(scalar), fc.integer(), fc.constant(null))).map(([query, variables]) => ({ query, variables })),
    );
    await fc.assert(
      fc.asyncProperty(cases, async (c) => {
        const res = await SELF.fetch("http://sy.test/graphql", {
          method: "POST",
          headers: { authorization: `Bearer ${t.tokens.admin}`, "content-type": "application/json" },
          body: JSON.stringify(c),
        });
        const text = await res.text();
        assertDocumented("POST /graphql", "/graphql", res.status, text, res.headers);
        const body = JSON.parse(text);
        expect(Array.isArray(body.errors) || body.data !== undefined, `POST /graphql: ${text.slice(0, 200)}`).toBe(true);
        for (const e of body.errors ?? []) expect(String(e.message), `POST /graphql internal error for ${JSON.stringify(c).slice(0, 300)}`).not.toMatch(/internal error/);
      }),
      { seed: seedFor(SEED, "POST /graphql variables"), numRuns: RUNS * 3 },
    );
  }, FUZZ_TIMEOUT_MS);
});

describe("fuzzing the fleet env shape", () => {
  it(`POST /v1/fleets/{fleet_id}/trigger answers 201 or the 400 envelope for any env (${RUNS * 2} runs)`, async () => {
    const t = await populateTenant("fuzzfleet");
    const key = fc.oneof(fc.string({ maxLength: 12 }), fc.constantFrom("", "__proto__", "constructor", "é中", "\u0000", "A".repeat(257), "toString"));
    const value = fc.oneof(fc.string({ maxLength: 20 }), fc.jsonValue({ maxDepth: 2 }), fc.constant("x".repeat(100_000)));
    const envShape = fc.oneof(
      fc.dictionary(key, value, { maxKeys: 8 }),
      fc.integer({ min: 99, max: 150 }).map((n) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`K${i}`, "v"]))),
      fc.jsonValue({ maxDepth: 2 }),
    );
    const bodyText = fc.oneof(
      envShape.map((e) => JSON.stringify({ env: e })),
      fc.tuple(envShape, fc.string({ maxLength: 8 })).map(([e, k]) => JSON.stringify({ env: e, [k || "x"]: 1 })),
      fc.tuple(key, key).map(([a, b]) => `{"env":{"${encodeURIComponent(a)}":"1","${encodeURIComponent(a)}":"2","${encodeURIComponent(b)}":3}}`),
      hostileRaw(["env"]),
    );
    await fc.assert(
      fc.asyncProperty(bodyText, async (b) => {
        const res = await SELF.fetch(`http://sy.test/v1/fleets/${t.ids.fleet_id}/trigger`, {
          method: "POST",
          headers: { authorization: `Bearer ${t.tokens.admin}`, "content-type": "application/json" },
          body: b,
        });
        const text = await res.text();
        assertDocumented("POST /v1/fleets/{fleet_id}/trigger (env)", "/v1/fleets/{fleet_id}/trigger", res.status, text, res.headers);
        expect([201, 400], `fleet env answered ${res.status}: ${text.slice(0, 200)}`).toContain(res.status);
      }),
      { seed: seedFor(SEED, "POST /v1/fleets/{fleet_id}/trigger env"), numRuns: RUNS * 2 },
    );
  }, FUZZ_TIMEOUT_MS);
});

describe("fuzzing webhook signatures", () => {
  it("signature verification survives random headers for every provider", async () => {
    const t = await populateTenant("fuzzsig");
    const header = fc.dictionary(
      fc.constantFrom("x-hub-signature-256", "stripe-signature", "x-slack-signature", "x-slack-request-timestamp", "x-shopify-hmac-sha256",
        "typeform-signature", "webhook-id", "webhook-timestamp", "webhook-signature", "svix-id", "svix-timestamp", "svix-signature", "x-signature", "x-github-delivery"),
      fc.oneof(fc.string({ maxLength: 80 }).map((s) => s.replace(/[^\x20-\x7e]/g, "")), fc.constantFrom("t=1,v1=00", "v0=zz", "sha256=", "v1,", "v1,AAAA", "1e99", "-1")),
    );
    const providers = ["github", "stripe", "slack", "shopify", "typeform", "microsoft_graph", "standard_webhooks", "webhook"];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...providers, t.ids.project_trigger_id!), header, hostileRaw(["ref", "type", "id"]), async (id, headers, body) => {
        const res = await SELF.fetch(`http://sy.test/v1/webhooks/${id}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
        assertDocumented(`POST /v1/webhooks/${id}`, "/v1/webhooks/{webhook_id}", res.status, await res.text(), res.headers);
        // Random signatures never verify.
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      { seed: seedFor(SEED, "POST /v1/webhooks signatures"), numRuns: 150 },
    );
  }, FUZZ_TIMEOUT_MS);
});
