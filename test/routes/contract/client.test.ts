/**
 * The committed typed client (client/openapi.json, from which client/schema.d.ts is generated)
 * describes exactly the routes the Worker serves: a route or field changed without
 * `npm run gen:client` fails here. (test/node/client.test.ts checks schema.d.ts against it.)
 */
import { SELF } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import committed from "../../../client/openapi.json";

describe("client/openapi.json is current", () => {
  it("equals the served /openapi.json (run `npm run gen:client` after changing routes)", async () => {
    const res = await SELF.fetch("https://switchyard.test/openapi.json");
    expect(res.status).toBe(200);
    const live = await res.json();
    expect(JSON.parse(JSON.stringify(live)), "client/openapi.json is stale: run `npm run gen:client`").toEqual(JSON.parse(JSON.stringify(committed)));
  });
});
