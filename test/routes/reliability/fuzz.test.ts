/**
 * Fuzzing every JSON route of every face (GraphQL included) with random and malformed input:
 * random JSON values, wrong types, huge strings, deep nesting, invalid UTF-8 and wrong
 * content types. The only answers allowed are documented shapes with a status below 500,
 * and never a stack trace. Deterministic: fixed seed, bounded number of runs.
 */
import { SELF } from "cloudflare:test";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { populateTenant } from "./populate";
import { documentedRoutes, fillPath } from "./routes";

const SEED = 20261122;
/** Hundreds of requests per test: generous so a loaded machine does not turn a pass into a timeout. */
const FUZZ_TIMEOUT_MS = 300_000;
const STACK = /\bat \S+ \(|\.ts:\d+:\d+|node_modules|Error: .*\n\s+at /;

/** A raw body: JSON text, broken JSON, huge or deeply nested values, or invalid UTF-8 bytes. */
const rawBody = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.stringify(v)),
  fc.string({ maxLength: 200 }),
  fc.constantFrom('{"name":', "{", "[1,2", "nul", '{"a":1}}', "\u0000", '{"name": "\ud800"}'),
  fc.integer({ min: 1, max: 400 }).map((n) => "[".repeat(n) + "]".repeat(n)),
  fc.integer({ min: 10_000, max: 200_000 }).map((n) => JSON.stringify({ name: "x".repeat(n), description: "y".repeat(n) })),
  fc.uint8Array({ minLength: 1, maxLength: 64 }).map((b) => new Uint8Array([0xff, 0xfe, ...b])),
  fc.record({ name: fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string())), limit: fc.anything() }).map((v) => JSON.stringify(v)),
);
const contentType = fc.constantFrom("application/json", "text/plain", "application/x-www-form-urlencoded", "application/xml", "");

/** Checks an answer has the documented error shape of its face. */
function assertDocumentedShape(path: string, status: number, text: string) {
  expect(status, `${path} answered ${status}: ${text.slice(0, 300)}`).toBeLessThan(500);
  expect(STACK.test(text), `${path} leaked a stack trace: ${text.slice(0, 300)}`).toBe(false);
  if (status < 400) return;
  const body = JSON.parse(text);
  if (path === "/graphql") expect(Array.isArray(body.errors) || body.data !== undefined).toBe(true);
  else if (path.startsWith("/v1/fleets/")) expect(body).toMatchObject({ request: { id: expect.any(String) }, data: null });
  else if (path === "/v1/oauth/token") expect(typeof body.error).toBe("string");
  else expect(Array.isArray(body.detail), `${path} ${status} has no detail[]: ${text.slice(0, 200)}`).toBe(true);
}

describe("fuzzing every JSON route", () => {
  it("answers random and malformed bodies with documented 4xx shapes, never a 500", async () => {
    const t = await populateTenant("fuzz");
    const routes = (await documentedRoutes()).filter((r) => r.hasBody || r.template === "/graphql" || r.template.startsWith("/v1/webhooks/"));
    expect(routes.length).toBeGreaterThan(10);
    for (const route of routes) {
      const path = fillPath(route.template, t.ids, { api_key: t.tokens.admin });
      if (!path) continue;
      await fc.assert(
        fc.asyncProperty(rawBody, contentType, async (body, type) => {
          const headers: Record<string, string> = { authorization: `Bearer ${t.tokens.admin}` };
          if (type) headers["content-type"] = type;
          const res = await SELF.fetch(`http://sy.test${path}`, { method: route.method, headers, body });
          assertDocumentedShape(route.template, res.status, await res.text());
        }),
        { seed: SEED, numRuns: 12 },
      );
    }
  }, FUZZ_TIMEOUT_MS);

  it("webhook signature verification survives random headers for every provider", async () => {
    const t = await populateTenant("fuzzsig");
    const header = fc.dictionary(
      fc.constantFrom("x-hub-signature-256", "stripe-signature", "x-slack-signature", "x-slack-request-timestamp", "x-shopify-hmac-sha256",
        "typeform-signature", "webhook-id", "webhook-timestamp", "webhook-signature", "svix-id", "svix-timestamp", "svix-signature", "x-signature", "x-github-delivery"),
      fc.oneof(fc.string({ maxLength: 80 }), fc.constantFrom("t=1,v1=00", "v0=zz", "sha256=", "v1,", "v1,AAAA", "1e99", "-1")),
    );
    const providers = ["github", "stripe", "slack", "shopify", "typeform", "microsoft_graph", "standard_webhooks", "webhook"];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...providers, t.ids.project_trigger_id!), header, rawBody, async (id, headers, body) => {
        const res = await SELF.fetch(`http://sy.test/v1/webhooks/${id}`, { method: "POST", headers: { "content-type": "application/json", ...headers }, body });
        const text = await res.text();
        assertDocumentedShape(`/v1/webhooks/${id}`, res.status, text);
        // Random signatures never verify.
        expect(res.status).toBeGreaterThanOrEqual(400);
      }),
      { seed: SEED, numRuns: 150 },
    );
  }, FUZZ_TIMEOUT_MS);
});
