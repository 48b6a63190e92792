/**
 * Tenant isolation matrix: every route of the OpenAPI document, aimed at org A's real ids
 * with org B's token of each role. No cross-tenant read or write succeeds, and the answer is
 * the same as for an id that does not exist at all, so nothing reveals that A's resource exists.
 */
import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../../src/core/ids";
import { api } from "../../fixtures";
import { populateTenant } from "./populate";
import { addressesTenant, documentedRoutes, fillPath } from "./routes";

const ROLES = ["admin", "editor", "runner", "viewer"] as const;
/** ~500 requests: generous so a loaded CI machine does not turn a pass into a timeout. */
const MATRIX_TIMEOUT_MS = 300_000;

describe("tenant isolation over every documented route", () => {
  it("never lets org B read or write org A, nor learn that A's ids exist", async () => {
    const a = await populateTenant("alpha");
    const b = await populateTenant("beta");
    const aMarkers = [a.orgId, a.ids.action_id!, a.ids.pipeline_id!, a.ids.event_id!, a.ids.connection_id!, "alpha-action", "alpha-pipeline", ...a.secrets];
    const ghost = Object.fromEntries(Object.keys(a.ids).map((k) => [k, uuidv7()]));
    const routes = await documentedRoutes();
    expect(routes.length).toBeGreaterThan(20);
    const checked: string[] = [];
    for (const route of routes) {
      // The deprecated key-in-path endpoints authenticate with the key in the path: B's key.
      const extra = { api_key: b.tokens.admin };
      const pathA = fillPath(route.template, a.ids, extra);
      const pathGhost = fillPath(route.template, ghost, extra);
      if (!pathA || !pathGhost) continue;
      for (const role of ROLES) {
        const token = b.tokens[role];
        const body = route.hasBody ? {} : undefined;
        const resA = await api(route.method, pathA, { token, body });
        const text = JSON.stringify(resA.body);
        const label = `${route.method} ${route.template} as B/${role} → ${resA.status}`;
        for (const m of aMarkers) expect(text.includes(m), `${label} leaks ${m}`).toBe(false);
        // A webhook URL is public by design: the trigger UUID is the secret, and the provider's
        // signature (absent here) is what protects it. It must still refuse the call.
        if (route.template.startsWith("/v1/webhooks/")) {
          expect(resA.status >= 400, label).toBe(true);
        } else if (addressesTenant(route.template)) {
          expect(resA.status >= 400, `${label} must not succeed`).toBe(true);
          const resGhost = await api(route.method, pathGhost, { token, body });
          expect(resA.status, `${label} differs from a nonexistent id (${resGhost.status})`).toBe(resGhost.status);
        }
        expect(resA.status, label).not.toBe(500);
      }
      checked.push(`${route.method} ${route.template}`);
    }
    expect(checked.length).toBeGreaterThan(20);
  }, MATRIX_TIMEOUT_MS);

  it("GraphQL with org B's token cannot see or invoke org A's actions", async () => {
    const a = await populateTenant("gamma");
    const b = await populateTenant("delta");
    const list = await api("POST", "/graphql", {
      token: b.tokens.admin,
      body: { query: "{ account { customActionsTriggerDefinitions { totalCount nodes { id name } } } }" },
    });
    expect(list.status).toBe(200);
    expect(JSON.stringify(list.body)).not.toContain("gamma-action");
    const gid = btoa(`gid://switchyard/CustomActionsTriggerDefinition/${a.ids.action_id}`);
    const invoke = await api("POST", "/graphql", {
      token: b.tokens.admin,
      body: {
        query: "mutation($id: ID!) { customActionsTriggerInvoke(input: { triggerDefinition: { id: $id } }) { triggerEvent { id } errors { message path } } }",
        variables: { id: gid },
      },
    });
    expect(invoke.body.data.customActionsTriggerInvoke.triggerEvent).toBeNull();
    expect(invoke.body.data.customActionsTriggerInvoke.errors.length).toBeGreaterThan(0);
    expect(JSON.stringify(invoke.body)).not.toContain("gamma-action");
  });
});
