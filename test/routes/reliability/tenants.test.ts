/**
 * Tenant isolation matrix: every route of the OpenAPI document, with a valid body built from
 * the route's own schema, sent by org B's token of each role with org A's ids in one slot (or
 * all of them). The answer must be the one B gets for ids that do not exist at all (status and
 * error type), which for an addressed resource is the documented not-found — never a 403 —,
 * nothing of A may leak into it, and afterwards nothing of A has changed in D1.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Role } from "../../../src/core/actor";
import { uuidv7 } from "../../../src/core/ids";
import { api } from "../../fixtures";
import { populateTenant, type Populated } from "./populate";
import { build, loadRoutes, shapesOf, Unfillable, variants, type Shape } from "./routes";

const ROLES: Role[] = ["admin", "editor", "runner", "viewer"];
/** Roughly 2,500 requests; generous so a loaded machine does not turn a pass into a timeout. */
const MATRIX_TIMEOUT_MS = 240_000;

type Res = Awaited<ReturnType<typeof api>>;

/** The error's stable type: REST `detail[0].type`, unified `results[0].error.code`, fleets' X-Error-Message. */
const errorType = (r: Res): string | null =>
  r.body?.detail?.[0]?.type ?? r.body?.results?.[0]?.error?.code ?? r.headers.get("x-error-message") ?? null;

/** The documented answer for an addressed resource that is not the caller's (nor anyone's). */
function notFoundStatus(shape: Shape, foreign: Set<number>): number {
  if (shape.template.startsWith("/v1/fleets/")) return 400;
  // The deprecated key-in-path routes authenticate the key against the path's org first: a key of another org is 401.
  if (shape.template.startsWith("/organizations/") && [...foreign].some((i) => shape.slots[i]!.name === "org_id")) return 401;
  return 404;
}

/** Every row of `orgId` in every D1 table that has an org_id column (audit log included), as JSON. */
async function snapshot(orgId: string): Promise<Record<string, string>> {
  const tables = await env.DB.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name NOT LIKE 'd1_%'").all<{ name: string }>();
  const out: Record<string, string> = {};
  for (const { name } of tables.results) {
    const cols = await env.DB.prepare(`SELECT name FROM pragma_table_info('${name}')`).all<{ name: string }>();
    if (!cols.results.some((c) => c.name === "org_id")) continue;
    const rows = await env.DB.prepare(`SELECT * FROM "${name}" WHERE org_id = ? ORDER BY rowid`).bind(orgId).all();
    out[name] = JSON.stringify(rows.results);
  }
  return out;
}

describe("tenant isolation over every documented route", () => {
  it("B's tokens of every role get A's ids answered like nonexistent ones, learn nothing of A and change nothing of A", async () => {
    const a = await populateTenant("alpha");
    const b = await populateTenant("beta");
    const aMarkers = [a.orgId, ...Object.values(a.ids), "alpha-action", "alpha-pipeline", ...a.secrets];
    const before = await snapshot(a.orgId);
    expect(Object.keys(before)).toEqual(expect.arrayContaining(["actions", "triggers", "events", "runs", "pipelines", "audit_log"]));

    const { routes, components } = await loadRoutes();
    expect(routes.length).toBeGreaterThan(60);
    const problems: string[] = [];
    const unfillable: string[] = [];
    let sent = 0;
    for (const route of routes) {
      let shapes: Shape[];
      try {
        shapes = shapesOf(route, components);
      } catch (err) {
        if (err instanceof Unfillable) { unfillable.push(`${route.method} ${route.template}: ${err.message}`); continue; }
        throw err;
      }
      for (const shape of shapes) {
        for (const foreign of variants(shape)) {
          const ghost = shape.slots.map(() => uuidv7());
          const ownId = (t: Populated, i: number) => {
            const id = t.ids[shape.slots[i]!.kind];
            if (!id) throw new Error(`populate has no ${shape.slots[i]!.kind}`);
            return id;
          };
          for (const role of ROLES) {
            const token = b.tokens[role];
            const onA = build(shape, (i) => (foreign.has(i) ? ownId(a, i) : ownId(b, i)), token);
            const onGhost = build(shape, (i) => (foreign.has(i) ? ghost[i]! : ownId(b, i)), token);
            const resA = await api(shape.method, onA.path, { token, body: onA.body });
            sent++;
            const names = [...foreign].map((i) => shape.slots[i]!.name).join("+") || "-";
            const label = `${shape.method} ${route.template}${shape.label ? ` [${shape.label}]` : ""} foreign=${names} as B/${role} → ${resA.status} ${errorType(resA)}`;
            const text = JSON.stringify(resA.body) + JSON.stringify([...resA.headers]);
            // Echoing the caller's own input (a batch result's `target`, a 422's `input`) is no leak.
            const sentText = onA.path + JSON.stringify(onA.body ?? null);
            for (const m of aMarkers) if (!sentText.includes(m) && text.includes(m)) problems.push(`${label}: leaks ${m}`);
            if (resA.status >= 500) problems.push(`${label}: server error`);
            // A webhook URL is public by design (the trigger UUID is the capability, the provider's
            // signature what protects it): it must refuse the unsigned call, nothing more.
            if (route.template.startsWith("/v1/webhooks/")) {
              if (resA.status < 400) problems.push(`${label}: accepted an unsigned delivery`);
              continue;
            }
            if (foreign.size === 0) continue;
            const resGhost = await api(shape.method, onGhost.path, { token, body: onGhost.body });
            sent++;
            if (resA.status !== resGhost.status || errorType(resA) !== errorType(resGhost)) {
              problems.push(`${label}: differs from nonexistent ids (${resGhost.status} ${errorType(resGhost)})`);
            }
            const addressed = [...foreign].some((i) => shape.slots[i]!.target);
            const touchesBody = [...foreign].some((i) => shape.slots[i]!.where === "body");
            if (addressed && resA.status !== notFoundStatus(shape, foreign)) {
              problems.push(`${label}: expected the not-found answer ${notFoundStatus(shape, foreign)}`);
            } else if (touchesBody && resA.status < 400) {
              problems.push(`${label}: a write naming A's id succeeded`);
            }
          }
        }
      }
    }
    expect(unfillable, "routes the matrix could not fill").toEqual([]);
    expect.soft(problems).toEqual([]);
    const after = await snapshot(a.orgId);
    const changed = Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
    const rows = (j: string | undefined) => (j ? (JSON.parse(j) as unknown[]).length : 0);
    expect.soft(changed.map((t) => `${t}: ${rows(before[t])} → ${rows(after[t])} rows, contents differ`), "A's rows changed").toEqual([]);
    expect(sent).toBeGreaterThan(1000);
  }, MATRIX_TIMEOUT_MS);

  it("a refused cross-org call is audited in the caller's org, never in the target's", async () => {
    const a = await populateTenant("epsilon");
    const b = await populateTenant("zeta");
    const path = `/v1/orgs/${a.orgId}/workspaces/${a.workspaceId}`;
    expect((await api("PUT", path, { token: b.tokens.viewer, body: { name: "x" } })).status).toBe(404);
    const own = await env.DB.prepare("SELECT * FROM audit_log WHERE org_id = ? AND status_code = 404").bind(b.orgId).all<{ result: string; action: string; target_type: string }>();
    expect(own.results).toHaveLength(1);
    expect(own.results[0]).toMatchObject({ result: "failure", action: "workspace.update", target_type: "workspace" });
    const theirs = await env.DB.prepare("SELECT COUNT(*) AS n FROM audit_log WHERE org_id = ?").bind(a.orgId).first<{ n: number }>();
    expect(theirs!.n).toBe(0);
  });

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
