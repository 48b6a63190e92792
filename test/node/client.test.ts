/**
 * client/schema.d.ts is exactly openapi-typescript's output for the committed
 * client/openapi.json (whose freshness against the served routes is checked inside workerd,
 * test/routes/contract/client.test.ts), and the client reports API errors readably.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { generateTypes, openapiText } from "../../client/generate.mjs";
import { createSwitchyardClient, errorMessage } from "../../client/index.mjs";

const root = join(import.meta.dirname, "..", "..");
const read = (p: string) => readFileSync(join(root, p), "utf8");

describe("the committed client", () => {
  it("schema.d.ts is generated from openapi.json (run `npm run gen:client`)", async () => {
    const doc = JSON.parse(read("client/openapi.json"));
    expect(read("client/openapi.json")).toBe(openapiText(doc));
    expect(await generateTypes(doc), "client/schema.d.ts is stale: run `npm run gen:client`").toBe(read("client/schema.d.ts"));
  });

  it("sends the bearer token and resolves HTTP errors to {error, response} with the API's message", async () => {
    let seen: Request | undefined;
    const fake = async (req: Request) => {
      seen = req;
      return new Response(JSON.stringify({ detail: [{ loc: ["path", "org_id"], msg: "org not found", type: "not_found", ctx: {} }] }), { status: 404, headers: { "content-type": "application/json", "x-request-id": "r-1" } });
    };
    const api = createSwitchyardClient({ baseUrl: "http://127.0.0.1:1/", token: "tok", fetch: fake as unknown as typeof fetch });
    const { data, error, response } = await api.GET("/v1/orgs/{org_id}", { params: { path: { org_id: "x" } } });
    expect(seen!.url).toBe("http://127.0.0.1:1/v1/orgs/x");
    expect(seen!.headers.get("authorization")).toBe("Bearer tok");
    expect(data).toBeUndefined();
    expect(response.status).toBe(404);
    expect(errorMessage(error, response)).toBe("path.org_id: org not found");
    expect(errorMessage(undefined, new Response("", { status: 502, statusText: "Bad Gateway" }))).toBe("HTTP 502 Bad Gateway");
  });
});
