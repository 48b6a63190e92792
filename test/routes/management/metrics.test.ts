import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { api, makeEndpoint, makeTenant } from "../../fixtures";
import { makeAction } from "../durable/helpers";
import { seedEvent, seedRun } from "../console/seed";

const H = (h: number, m = 0) => `2026-01-01T${String(h).padStart(2, "0")}:${String(m).padStart(2, "0")}:00.000Z`;

describe("GET /v1/orgs/{org_id}/metrics", () => {
  it("counts events and runs by status per bucket, only inside [since, until)", async () => {
    const t = await makeTenant();
    const ep = await makeEndpoint(t, "https://receiver.test/hook");
    const act = await makeAction(t, ep);
    await seedEvent(t, { receivedAt: H(0, 10) });
    await seedEvent(t, { receivedAt: H(0, 50), status: "unmatched" });
    await seedEvent(t, { receivedAt: H(2, 0) });
    await seedEvent(t, { receivedAt: H(2, 59), status: "failed" });
    await seedEvent(t, { receivedAt: H(3, 0) }); // until is exclusive
    await seedEvent(t, { receivedAt: "2025-12-31T23:59:59.000Z" }); // before since
    await seedRun(t, act, { triggeredAt: H(0, 5), status: "success" });
    await seedRun(t, act, { triggeredAt: H(1, 30), status: "failed" });
    await seedRun(t, act, { triggeredAt: H(1, 31), status: "success" });

    const res = await api("GET", `/v1/orgs/${t.orgId}/metrics?since=${H(0)}&until=${H(3)}&bucket=1h`, { token: t.tokens.viewer });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      since: H(0), until: H(3), bucket: "1h",
      buckets: [
        { start: H(0), events: { routed: 1, unmatched: 1 }, runs: { success: 1 } },
        { start: H(1), events: {}, runs: { failed: 1, success: 1 } },
        { start: H(2), events: { routed: 1, failed: 1 }, runs: {} },
      ],
      totals: { events: { routed: 2, unmatched: 1, failed: 1 }, runs: { success: 2, failed: 1 } },
      purged: { events: 0, executions: 0, runs: 0, bodies: 0, last_purge_at: null },
    });
    // Another bucket width over the same rows: 15-minute buckets, 12 of them.
    const fine = await api("GET", `/v1/orgs/${t.orgId}/metrics?since=${H(0)}&until=${H(3)}&bucket=15m`, { token: t.tokens.viewer });
    expect(fine.body.buckets).toHaveLength(12);
    expect(fine.body.buckets[0]).toEqual({ start: H(0), events: { routed: 1 }, runs: { success: 1 } });
    expect(fine.body.buckets[3]).toEqual({ start: H(0, 45), events: { unmatched: 1 }, runs: {} });
  });

  it("aligns since down to the bucket and defaults to the last 24 hours in 1h buckets", async () => {
    const t = await makeTenant();
    const aligned = await api("GET", `/v1/orgs/${t.orgId}/metrics?since=${H(0, 40)}&until=${H(2)}&bucket=1h`, { token: t.tokens.viewer });
    expect(aligned.body.since).toBe(H(0));
    expect(aligned.body.buckets.map((b: any) => b.start)).toEqual([H(0), H(1)]);
    const dflt = await api("GET", `/v1/orgs/${t.orgId}/metrics`, { token: t.tokens.viewer });
    expect(dflt.status).toBe(200);
    expect(dflt.body.bucket).toBe("1h");
    expect(dflt.body.buckets.length).toBeGreaterThanOrEqual(24);
    expect(dflt.body.buckets.length).toBeLessThanOrEqual(25);
  });

  it("refuses bad since, until and bucket with 422 in the REST error shape", async () => {
    const t = await makeTenant();
    const get = (q: string) => api("GET", `/v1/orgs/${t.orgId}/metrics?${q}`, { token: t.tokens.viewer });
    const expect422 = async (q: string, loc: string[], msg: RegExp) => {
      const r = await get(q);
      expect(r.status).toBe(422);
      expect(r.body.detail[0]).toEqual(expect.objectContaining({ loc, msg: expect.stringMatching(msg), type: expect.any(String), ctx: expect.any(Object) }));
      expect(r.body.detail[0]).toHaveProperty("input");
    };
    await expect422("since=yesterday", ["query", "since"], /ISO-8601/);
    await expect422("until=2026-13-45", ["query", "until"], /ISO-8601/);
    await expect422("bucket=2h", ["query", "bucket"], /.+/);
    await expect422(`since=${H(3)}&until=${H(1)}`, ["query", "since"], /earlier than until/);
    await expect422(`since=2025-01-01T00:00:00Z&until=2026-01-01T00:00:00Z&bucket=1m`, ["query", "bucket"], /at most 1000/);
  });

  it("answers another org's id exactly like a nonexistent one (404), and needs a token", async () => {
    const a = await makeTenant("a");
    const b = await makeTenant("b");
    const foreign = await api("GET", `/v1/orgs/${a.orgId}/metrics`, { token: b.tokens.admin });
    const missing = await api("GET", `/v1/orgs/${crypto.randomUUID()}/metrics`, { token: b.tokens.admin });
    expect(foreign.status).toBe(404);
    expect(missing.status).toBe(404);
    expect(foreign.body).toEqual(missing.body);
    expect((await api("GET", `/v1/orgs/${a.orgId}/metrics`)).status).toBe(401);
  });

  it("is documented in the OpenAPI document with its query parameters", async () => {
    const doc = (await api("GET", "/openapi.json")).body;
    const op = doc.paths["/v1/orgs/{org_id}/metrics"].get;
    expect(op.parameters.map((p: any) => p.name).sort()).toEqual(["bucket", "org_id", "since", "until"]);
  });

  it("reads both counts from covering indexes, never a table scan", async () => {
    const plan = async (sql: string) => (await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`).bind("o", H(0), H(3)).all()).results.map((r: any) => r.detail).join(" | ");
    expect(await plan("SELECT status, count(*) FROM events WHERE org_id = ? AND received_at >= ? AND received_at < ? GROUP BY 1")).toMatch(/COVERING INDEX events_org_received/);
    expect(await plan("SELECT status, count(*) FROM runs WHERE org_id = ? AND triggered_at >= ? AND triggered_at < ? GROUP BY 1")).toMatch(/COVERING INDEX runs_org_time/);
  });
});

describe("GET /v1/orgs/{org_id}/endpoint-health", () => {
  it("gives each endpoint its success rate, mean latency and latest status and error, most failures first", async () => {
    const t = await makeTenant();
    const good = await makeEndpoint(t, "https://good.test/hook");
    const bad = await makeEndpoint(t, "https://bad.test/hook");
    const a1 = await makeAction(t, good);
    const a2 = await makeAction(t, bad);
    const now = Date.now();
    const at = (minsAgo: number) => new Date(now - minsAgo * 60_000).toISOString();
    await seedRun(t, a1, { triggeredAt: at(30), status: "success", responseStatus: 200, durationSeconds: 0.1 });
    await seedRun(t, a1, { triggeredAt: at(25), status: "failed", responseStatus: 502, errorMessage: "endpoint answered HTTP 502", durationSeconds: 0.2 });
    await seedRun(t, a1, { triggeredAt: at(20), status: "success", responseStatus: 204, durationSeconds: 0.3 });
    await seedRun(t, a2, { triggeredAt: at(15), status: "failed", responseStatus: 500, errorMessage: "endpoint answered HTTP 500", durationSeconds: 1 });
    await seedRun(t, a2, { triggeredAt: at(10), status: "failed", responseStatus: null, errorMessage: "no response within 5 s", durationSeconds: 5 });
    await seedRun(t, a2, { triggeredAt: at(5), status: "pending" }); // not final: not counted
    const res = await api("GET", `/v1/orgs/${t.orgId}/endpoint-health`, { token: t.tokens.viewer });
    expect(res.status).toBe(200);
    const [first, second] = res.body.endpoints;
    expect(first).toEqual(expect.objectContaining({ endpoint_id: bad, attempts: 2, succeeded: 0, failed: 2, success_rate: 0, avg_latency_ms: 3000, last_status: null, last_error: "no response within 5 s", last_error_at: at(10) }));
    // The latest attempt succeeded (last_status 204), but the latest failure is still reported.
    expect(second).toEqual(expect.objectContaining({ endpoint_id: good, attempts: 3, succeeded: 2, failed: 1, success_rate: 2 / 3, avg_latency_ms: 200, last_status: 204, last_error: "endpoint answered HTTP 502" }));
    expect(JSON.stringify(res.body)).not.toMatch(/secret/i);
  });
});
