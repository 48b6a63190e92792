/**
 * Fuzz that reaches the tool parsers and services: for every tool, seeded arguments built from
 * its own inputSchema's property names, mixing real ids of the tenant, foreign and hostile ids,
 * wrong types, huge strings, deep nesting and prototype keys. Every answer must be a tool
 * result the SDK client accepts (a structured answer valid against the tool's outputSchema, or
 * `isError` with a message), never a protocol error, an internal error or a stack trace.
 */
import { env } from "cloudflare:test";
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { makeEndpoint, makeTenant } from "../../fixtures";
import { makeAction } from "../durable/helpers";
import { connect, textOf } from "./client";

const SEED = 20261202;
const RUNS = 40;
const STACK = /\bat \S+ \(|\.ts:\d+:\d+|node_modules/;

beforeAll(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
  vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("refused by the fuzz", { status: 503 }));
});
afterAll(() => vi.restoreAllMocks());

describe("MCP tool arguments fuzz", () => {
  it("every tool answers every seeded argument set with a valid result or an isError message", { timeout: 300_000 }, async () => {
    const t = await makeTenant("fuzz");
    const other = await makeTenant("fuzz-other");
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const action = await makeAction(t, ep, { manualInputsSchema: { type: "object", properties: { n: { type: "integer" } } } });
    const foreign = await makeAction(other, await makeEndpoint(other, "https://receiver.test/x"));
    const client = await connect(t.tokens.admin);
    const { tools } = await client.listTools();

    const id = fc.oneof(
      fc.constantFrom(action, t.appId, t.orgId, foreign, other.appId, other.orgId, uuidv7(), "", "../../etc", "__proto__", "constructor", "%00", "x".repeat(5000), "' OR 1=1 --"),
      fc.string({ maxLength: 60 }),
    );
    const value = fc.oneof(
      id,
      fc.jsonValue({ maxDepth: 4 }),
      fc.constantFrom(null, true, -1, 0, 2 ** 53, 1e308, Number.MAX_SAFE_INTEGER, "approve", "reject", "run", "status", "pipeline", "task", 1),
      fc.constant(JSON.parse("[".repeat(500) + "]".repeat(500))),
      fc.constant({ __proto__: { polluted: true }, constructor: { prototype: { x: 1 } } }),
      fc.string({ minLength: 10_000, maxLength: 20_000 }),
    );

    for (const tool of tools) {
      const names = Object.keys(tool.inputSchema.properties ?? {});
      const args = fc.dictionary(fc.oneof(fc.constantFrom(...names), fc.constantFrom("__proto__", "constructor", "extra")), value, { maxKeys: names.length + 2 });
      await fc.assert(
        fc.asyncProperty(args, async (a) => {
          const r = await client.callTool({ name: tool.name, arguments: a });
          const text = (r.content as unknown[]).length ? textOf(r as never) : "";
          expect(STACK.test(text), `${tool.name} leaked a stack: ${text.slice(0, 300)}`).toBe(false);
          expect(text, `${tool.name} hit an internal error with ${JSON.stringify(a).slice(0, 300)}`).not.toMatch(/^internal error/);
          if (r.isError) expect(text.length, `${tool.name} refused without a message`).toBeGreaterThan(0);
          else expect(r.structuredContent, `${tool.name} answered without structured content`).toBeTypeOf("object");
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        { seed: SEED ^ tool.name.length, numRuns: RUNS },
      );
    }
  });
});
