import { env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { makeTenant, type Tenant } from "../../fixtures";
import { eventsOf, makeTrigger, post } from "./helpers";

let t: Tenant;
let other: Tenant;
let send: MockInstance;
beforeAll(async () => {
  t = await makeTenant("legacy");
  other = await makeTenant("legacy-other");
});
beforeEach(() => {
  send = vi.spyOn(env.TASKS, "send");
});
afterEach(() => {
  vi.restoreAllMocks();
});

const path = (kind: string, triggerId: string, key: string, orgId = t.orgId) => `/organizations/${orgId}/triggers/${triggerId}/${kind}/key/${key}`;

describe("deprecated /organizations/{org_id}/triggers/{id}/…/key/{api_key}", () => {
  it("webhook: stores the body like ingestion (no provider signature) and dedupes", async () => {
    const id = await makeTrigger(t, "stripe", { signing_secret: "whsec_legacy" });
    const body = JSON.stringify({ id: "evt_legacy_1", type: "customer.created" });
    const res = await post(path("webhook", id, t.tokens.runner), body, { "content-type": "application/json" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ event_id: expect.any(String), duplicate: false });
    const again = await post(path("webhook", id, t.tokens.runner) + "?provider_id=stripe&trigger_id=on_any_event", body, { "content-type": "application/json" });
    expect(again.body).toEqual({ event_id: res.body.event_id, duplicate: true });
    const rows = await eventsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ body, eventType: "customer.created" });
    expect(send.mock.calls.map((c) => c[0])).toEqual([{ v: 1, kind: "event.route", event_id: res.body.event_id }]);
  });

  it("refuses bad keys (401), keys of another org (401), viewer keys (403), other ids (404) and mismatched query ids (422)", async () => {
    const id = await makeTrigger(t, "webhook", null);
    expect((await post(path("webhook", id, "sy_not_a_key"), "{}")).status).toBe(401);
    expect((await post(path("webhook", id, other.tokens.admin), "{}")).status).toBe(401);
    expect((await post(path("webhook", id, other.tokens.admin, other.orgId), "{}")).status).toBe(404);
    expect((await post(path("webhook", id, t.tokens.viewer), "{}")).status).toBe(403);
    expect((await post(path("webhook", id, t.tokens.runner) + "?provider_id=github", "{}")).status).toBe(422);
    expect(await eventsOf(id)).toHaveLength(0);
  });

  it("webhook: 409 for a disabled trigger", async () => {
    const id = await makeTrigger(t, "webhook", null, { enable: false });
    const res = await post(path("webhook", id, t.tokens.runner), "{}");
    expect(res.status).toBe(409);
    expect(res.body.detail[0].type).toBe("trigger_disabled");
  });

  it("polling: enqueues trigger.poll and answers 202", async () => {
    const id = await makeTrigger(t, "rss", null, { triggerId: "poll", config: { url: "https://example.com/feed.xml", polling_frequency: 600 } });
    const res = await post(path("polling", id, t.tokens.runner), "");
    expect(res.status).toBe(202);
    expect(res.body).toEqual({ queued: true });
    expect(send.mock.calls.map((c) => c[0])).toEqual([{ v: 1, kind: "trigger.poll", project_trigger_id: id }]);
    expect((await post(path("scheduled", id, t.tokens.runner), "")).status).toBe(422);
  });

  it("scheduled: enqueues trigger.tick with due_at now and answers 202", async () => {
    const id = await makeTrigger(t, "schedule", null, { triggerId: "cron", config: { cron: "*/5 * * * *", timezone: "UTC" } });
    const before = Date.now();
    const res = await post(path("scheduled", id, t.tokens.admin), "");
    expect(res.status).toBe(202);
    const task = send.mock.calls[0]![0] as any;
    expect(task).toMatchObject({ v: 1, kind: "trigger.tick", project_trigger_id: id });
    expect(Date.parse(task.due_at)).toBeGreaterThanOrEqual(before - 1000);
  });

  it("each key path refuses a trigger of the wrong kind with 422 and neither stores nor enqueues anything", async () => {
    const hook = await makeTrigger(t, "webhook", null);
    const poll = await makeTrigger(t, "http", null, { triggerId: "poll", config: { url: "https://example.com/items.json" } });
    const cron = await makeTrigger(t, "schedule", null, { triggerId: "cron", config: { cron: "0 9 * * *" } });
    for (const [kind, wrong] of [
      ["webhook", [poll, cron]],
      ["polling", [hook, cron]],
      ["scheduled", [hook, poll]],
    ] as const) {
      for (const id of wrong) {
        const res = await post(path(kind, id, t.tokens.runner), JSON.stringify({ id: "evt_wrong_kind" }), { "content-type": "application/json" });
        expect(res.status, `${kind} ${id}: ${JSON.stringify(res.body)}`).toBe(422);
        expect(res.body.detail[0]).toMatchObject({ loc: ["path", "project_trigger_id"], msg: expect.stringMatching(new RegExp(`not a ${kind === "webhook" ? "webhook" : kind} trigger`)) });
        expect(await eventsOf(id)).toHaveLength(0);
      }
    }
    expect(send).not.toHaveBeenCalled();
  });

  it("is documented as deprecated in /openapi.json", async () => {
    const doc = (await (await import("cloudflare:test")).SELF.fetch("http://sy.test/openapi.json").then((r) => r.json())) as any;
    expect(doc.paths["/organizations/{org_id}/triggers/{project_trigger_id}/webhook/key/{api_key}"].post.deprecated).toBe(true);
    expect(doc.paths["/organizations/{org_id}/triggers/{project_trigger_id}/polling/key/{api_key}"].post.deprecated).toBe(true);
    expect(doc.paths["/v1/webhooks/{webhook_id}"].post).toBeDefined();
  });
});
