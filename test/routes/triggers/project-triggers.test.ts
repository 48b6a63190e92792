import { eq } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { triggers } from "../../../src/db/schema";
import { ADMIN, api, db, makeConnection, makeTenant, type Tenant } from "../../fixtures";

let t: Tenant;
let other: Tenant;

beforeAll(async () => {
  t = await makeTenant("proj");
  other = await makeTenant("other");
});

const create = (body: Record<string, unknown>, token = t.tokens.editor, projectId = t.appId) => api("POST", `/projects/${projectId}/triggers`, { token, body });

describe("project triggers", () => {
  it("creates a DISABLED webhook trigger with every documented field and a webhook_url", async () => {
    const conn = await makeConnection(t, "stripe", { signing_secret: "whsec_x" });
    const res = await create({ provider_id: "stripe", trigger_id: "on_any_event", connection_id: conn, route_key: "acct_1" });
    expect(res.status).toBe(201);
    const b = res.body;
    expect(Object.keys(b).sort()).toEqual(
      ["project_trigger_id", "project_id", "connection_id", "provider_id", "trigger_id", "webhook_data", "cursor_data", "trigger_config", "status", "created_at", "updated_at", "created_by", "updated_by"].sort(),
    );
    expect(b).toMatchObject({ project_id: t.appId, connection_id: conn, provider_id: "stripe", status: "DISABLED", cursor_data: null });
    expect(b.webhook_data).toEqual({ webhook_url: `/v1/webhooks/${b.project_trigger_id}`, route_key: "acct_1" });
    const got = await api("GET", `/triggers/${b.project_trigger_id}`, { token: t.tokens.viewer });
    expect(got.status).toBe(200);
    expect(got.body).toEqual(b);
  });

  it("lists project triggers and the org-wide list with project_name", async () => {
    const a = await create({ provider_id: "webhook", trigger_id: "on_any_event" });
    const list = await api("GET", `/projects/${t.appId}/triggers`, { token: t.tokens.viewer });
    expect(list.status).toBe(200);
    expect(list.body.map((x: any) => x.project_trigger_id)).toContain(a.body.project_trigger_id);
    const org = await api("GET", "/triggers", { token: t.tokens.viewer });
    expect(org.status).toBe(200);
    const item = org.body.find((x: any) => x.project_trigger_id === a.body.project_trigger_id);
    expect(item).toMatchObject({ project_name: "proj-app", provider_id: "webhook" });
    const otherOrg = await api("GET", "/triggers", { token: other.tokens.viewer });
    expect(otherOrg.body.find((x: any) => x.project_trigger_id === a.body.project_trigger_id)).toBeUndefined();
    const su = await api("GET", `/triggers?org_id=${t.orgId}`, { token: ADMIN });
    expect(su.body.some((x: any) => x.project_trigger_id === a.body.project_trigger_id)).toBe(true);
    expect((await api("GET", "/triggers", { token: ADMIN })).status).toBe(422);
  });

  it("enables and disables, managing next_due_at for scheduled triggers", async () => {
    const c = await create({ provider_id: "schedule", trigger_id: "cron", trigger_config: { cron: "0 9 * * *", timezone: "Europe/Paris" } });
    expect(c.status).toBe(201);
    const id = c.body.project_trigger_id;
    const en = await api("POST", `/triggers/${id}/enable`, { token: t.tokens.editor });
    expect(en.status).toBe(200);
    expect(en.body.status).toBe("ENABLED");
    const row = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;
    expect(row.nextDueAt).toMatch(/T0[78]:00:00\.000Z$/); // 09:00 Paris is 07:00 or 08:00 UTC
    const dis = await api("POST", `/triggers/${id}/disable`, { token: t.tokens.editor });
    expect(dis.body.status).toBe("DISABLED");
    const row2 = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;
    expect(row2.nextDueAt).toBeNull();
  });

  it("polling triggers are due immediately when enabled and get config defaults", async () => {
    const c = await create({ provider_id: "http", trigger_id: "poll", trigger_config: { url: "https://api.example.com/items", polling_frequency: "120" } });
    expect(c.status).toBe(201);
    expect(c.body.trigger_config).toEqual({ url: "https://api.example.com/items", items_path: "", id_field: "id", polling_frequency: 120 });
    const before = Date.now();
    await api("POST", `/triggers/${c.body.project_trigger_id}/enable`, { token: t.tokens.editor });
    const row = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, c.body.project_trigger_id)))[0]!;
    expect(Date.parse(row.nextDueAt!)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("validates provider, trigger, connection and trigger_config with 422 and a precise loc", async () => {
    expect((await create({ provider_id: "nope", trigger_id: "on_any_event" })).body.detail[0].loc).toEqual(["body", "provider_id"]);
    expect((await create({ provider_id: "github", trigger_id: "on_nothing" })).body.detail[0].loc).toEqual(["body", "trigger_id"]);
    const slackConn = await makeConnection(t, "slack", { signing_secret: "s" });
    const wrongProvider = await create({ provider_id: "github", trigger_id: "on_any_event", connection_id: slackConn });
    expect(wrongProvider.status).toBe(422);
    expect(wrongProvider.body.detail[0].loc).toEqual(["body", "connection_id"]);
    const foreignConn = await makeConnection(other, "github", { signing_secret: "s" });
    expect((await create({ provider_id: "github", trigger_id: "on_any_event", connection_id: foreignConn })).status).toBe(422);
    const slow = await create({ provider_id: "http", trigger_id: "poll", trigger_config: { url: "https://x.example", polling_frequency: 10 } });
    expect(slow.status).toBe(422);
    expect(slow.body.detail[0].loc).toEqual(["body", "trigger_config", "polling_frequency"]);
    const badCron = await create({ provider_id: "schedule", trigger_id: "cron", trigger_config: { cron: "61 * * * *", timezone: "UTC" } });
    expect(badCron.body.detail[0].loc).toEqual(["body", "trigger_config", "cron"]);
    const badTz = await create({ provider_id: "schedule", trigger_id: "cron", trigger_config: { cron: "0 * * * *", timezone: "Mars/Olympus" } });
    expect(badTz.body.detail[0].loc).toEqual(["body", "trigger_config", "timezone"]);
    expect((await create({ provider_id: "rss", trigger_id: "poll" })).status).toBe(422);
    expect((await create({ trigger_id: "poll" })).body.detail[0].loc).toEqual(["body", "provider_id"]);
  });

  it("deletes with 204 and then answers 404", async () => {
    const c = await create({ provider_id: "webhook", trigger_id: "on_any_event" });
    const del = await api("DELETE", `/triggers/${c.body.project_trigger_id}`, { token: t.tokens.editor });
    expect(del.status).toBe(204);
    expect((await api("GET", `/triggers/${c.body.project_trigger_id}`, { token: t.tokens.viewer })).status).toBe(404);
  });

  it("serves the provider's test samples", async () => {
    const c = await create({ provider_id: "github", trigger_id: "on_push" });
    const s = await api("GET", `/api/v0/project-triggers/${c.body.project_trigger_id}/test-samples`, { token: t.tokens.viewer });
    expect(s.status).toBe(200);
    expect(s.body.samples[0]).toMatchObject({ ref: "refs/heads/main" });
  });

  it("hides other tenants' projects and triggers (404) and refuses writes to viewers (403)", async () => {
    const c = await create({ provider_id: "webhook", trigger_id: "on_any_event" });
    const id = c.body.project_trigger_id;
    const tok = other.tokens.admin;
    expect((await api("GET", `/projects/${t.appId}/triggers`, { token: tok })).status).toBe(404);
    expect((await create({ provider_id: "webhook", trigger_id: "on_any_event" }, tok)).status).toBe(404);
    for (const [m, p] of [
      ["GET", `/triggers/${id}`],
      ["DELETE", `/triggers/${id}`],
      ["POST", `/triggers/${id}/enable`],
      ["POST", `/triggers/${id}/disable`],
      ["GET", `/api/v0/project-triggers/${id}/test-samples`],
    ] as const) {
      expect((await api(m, p, { token: tok })).status, `${m} ${p}`).toBe(404);
    }
    expect((await create({ provider_id: "webhook", trigger_id: "on_any_event" }, t.tokens.viewer)).status).toBe(403);
    expect((await create({ provider_id: "webhook", trigger_id: "on_any_event" }, t.tokens.runner)).status).toBe(403);
    expect((await api("POST", `/triggers/${id}/enable`, { token: t.tokens.viewer })).status).toBe(403);
    expect((await api("DELETE", `/triggers/${id}`, { token: t.tokens.viewer })).status).toBe(403);
    expect((await api("GET", `/triggers/${id}`, { token: ADMIN })).status).toBe(200);
    expect((await api("GET", `/triggers/${id}`)).status).toBe(401);
    expect((await api("GET", `/triggers/not-a-uuid`, { token: t.tokens.viewer })).status).toBe(422);
  });
});

describe("provider catalog", () => {
  it("lists every provider's triggers with all documented fields, without a token", async () => {
    for (const p of ["github", "stripe", "slack", "shopify", "typeform", "microsoft_graph", "standard_webhooks", "webhook", "http", "rss", "schedule"]) {
      const res = await api("GET", `/providers/${p}/triggers`);
      expect(res.status, p).toBe(200);
      for (const e of res.body) {
        expect(Object.keys(e).sort()).toEqual(
          ["trigger_type", "provider_id", "trigger_id", "trigger_name", "description", "instructions", "icon", "tags", "version", "webhook_requires_verification", "can_get_test_samples"].sort(),
        );
        expect(e.version).toBe("1.0.0");
      }
      const catchAll = p === "http" || p === "rss" ? "poll" : p === "schedule" ? "cron" : "on_any_event";
      expect(res.body.map((e: any) => e.trigger_id)).toContain(catchAll);
    }
  });

  it("marks Slack and Graph as requiring verification and serves one trigger", async () => {
    const slack = await api("GET", "/providers/slack/triggers/on_app_mention");
    expect(slack.body).toMatchObject({ trigger_type: "webhook", webhook_requires_verification: true, can_get_test_samples: true });
    expect((await api("GET", "/providers/microsoft_graph/triggers/on_any_event")).body.webhook_requires_verification).toBe(true);
    expect((await api("GET", "/providers/github/triggers/on_push")).body.webhook_requires_verification).toBe(false);
    expect((await api("GET", "/providers/schedule/triggers/cron")).body).toMatchObject({ trigger_type: "scheduled", can_get_test_samples: false });
  });

  it("answers 404 with the REST error shape for unknown ids", async () => {
    const p = await api("GET", "/providers/nope/triggers");
    expect(p.status).toBe(404);
    expect(p.body.detail[0]).toMatchObject({ loc: ["path", "provider_id"], type: "not_found" });
    const tr = await api("GET", "/providers/github/triggers/nope");
    expect(tr.status).toBe(404);
    expect(tr.body.detail[0].loc).toEqual(["path", "trigger_id"]);
  });
});

