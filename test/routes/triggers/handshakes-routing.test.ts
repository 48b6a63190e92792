import { env } from "cloudflare:test";
import { afterEach, beforeAll, beforeEach, describe, expect, it, vi, type MockInstance } from "vitest";
import { makeTenant, type Tenant } from "../../fixtures";
import { eventsOf, makeTrigger, post, shopifySig, slackHeaders, typeformSig } from "./helpers";

let t: Tenant;
let send: MockInstance;
beforeAll(async () => {
  t = await makeTenant("routing");
});
beforeEach(() => {
  send = vi.spyOn(env.TASKS, "send");
});
afterEach(() => {
  vi.restoreAllMocks();
});
const routeTasks = () => send.mock.calls.map((c) => c[0]).filter((m: any) => m.kind === "event.route");

describe("Slack", () => {
  it("answers url_verification with the challenge after verifying, and stores nothing", async () => {
    const id = await makeTrigger(t, "slack", { signing_secret: "slack-secret" });
    const body = JSON.stringify({ token: "Jhj5dZrVaK7ZwHHjRyZWjbDl", challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", type: "url_verification" });
    const res = await post(`/v1/webhooks/${id}`, body, await slackHeaders("slack-secret", body));
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ challenge: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P" });
    expect(await eventsOf(id)).toHaveLength(0);
    const forged = await post(`/v1/webhooks/${id}`, body, await slackHeaders("not-the-secret", body));
    expect(forged.status).toBe(401);
  });

  it("dedupes Slack retries (X-Slack-Retry-Num) to the original event id", async () => {
    const id = await makeTrigger(t, "slack", { signing_secret: "slack-secret" }, { triggerId: "on_message" });
    const body = JSON.stringify({ type: "event_callback", team_id: "T1", event_id: "Ev_retry", event: { type: "message", text: "hi" } });
    const first = await post(`/v1/webhooks/${id}`, body, await slackHeaders("slack-secret", body));
    const retry = await post(`/v1/webhooks/${id}`, body, { ...(await slackHeaders("slack-secret", body)), "x-slack-retry-num": "1", "x-slack-retry-reason": "http_timeout" });
    expect(first.status).toBe(200);
    expect(retry.body).toEqual({ event_id: first.body.event_id, duplicate: true });
    const rows = await eventsOf(id);
    expect(rows).toHaveLength(1);
    expect(rows[0]!.eventType).toBe("message");
  });

  it("refuses a request whose timestamp is outside the 5-minute window", async () => {
    const id = await makeTrigger(t, "slack", { signing_secret: "slack-secret" });
    const body = JSON.stringify({ type: "event_callback", event_id: "Ev_old" });
    const res = await post(`/v1/webhooks/${id}`, body, await slackHeaders("slack-secret", body, Math.floor(Date.now() / 1000) - 400));
    expect(res.status).toBe(401);
    expect(res.body.detail[0].msg).toMatch(/outside the 5-minute window/);
  });
});

describe("Microsoft Graph", () => {
  it("echoes the decoded validationToken as text/plain", async () => {
    const id = await makeTrigger(t, "microsoft_graph", { client_state: "cs-1" });
    const res = await post(`/v1/webhooks/${id}?validationToken=Validation%3A%20Testing%20client%20application%20reachability`, "");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/plain/);
    expect(res.body).toBe("Validation: Testing client application reachability");
    const viaProvider = await post("/v1/webhooks/microsoft_graph?validationToken=abc%20def", "");
    expect(viaProvider.body).toBe("abc def");
  });

  it("accepts notifications whose clientState matches and refuses others", async () => {
    const id = await makeTrigger(t, "microsoft_graph", { client_state: "cs-1" });
    const note = (cs: string) => JSON.stringify({ value: [{ subscriptionId: "sub-9", clientState: cs, changeType: "created", resource: "me/messages/1" }] });
    expect((await post(`/v1/webhooks/${id}`, note("cs-1"), { "content-type": "application/json" })).status).toBe(200);
    expect((await post(`/v1/webhooks/${id}`, note("cs-2"), { "content-type": "application/json" })).status).toBe(401);
    expect((await eventsOf(id))[0]!.eventType).toBe("created");
  });
});

describe("Shopify and Typeform", () => {
  it("Shopify: verifies X-Shopify-Hmac-Sha256 and dedupes on X-Shopify-Webhook-Id", async () => {
    const id = await makeTrigger(t, "shopify", { signing_secret: "shpss_1" });
    const body = JSON.stringify({ id: 1, total_price: "10.00" });
    const headers = { "x-shopify-hmac-sha256": await shopifySig("shpss_1", body), "x-shopify-topic": "orders/create", "x-shopify-webhook-id": "wh-77", "x-shopify-shop-domain": "a.myshopify.com" };
    const a = await post(`/v1/webhooks/${id}`, body, headers);
    const b = await post(`/v1/webhooks/${id}`, body, headers);
    expect(a.status).toBe(200);
    expect(b.body.duplicate).toBe(true);
    expect((await eventsOf(id))[0]!.eventType).toBe("orders/create");
  });

  it("Typeform: verifies Typeform-Signature", async () => {
    const id = await makeTrigger(t, "typeform", { signing_secret: "tf" });
    const body = JSON.stringify({ event_id: "tf-1", event_type: "form_response", form_response: { form_id: "F1" } });
    expect((await post(`/v1/webhooks/${id}`, body, { "typeform-signature": await typeformSig("tf", body) })).status).toBe(200);
    expect((await post(`/v1/webhooks/${id}`, body, { "typeform-signature": await typeformSig("nope", body) })).status).toBe(401);
  });
});

describe("POST /v1/webhooks/{provider_id} routing", () => {
  it("routes a Slack delivery to the trigger whose route_key is the team id and whose secret verifies", async () => {
    const tenantA = await makeTenant("team-a");
    const tenantB = await makeTenant("team-b");
    const a = await makeTrigger(tenantA, "slack", { signing_secret: "secret-a" }, { routeKey: "TA0001" });
    const b = await makeTrigger(tenantB, "slack", { signing_secret: "secret-b" }, { routeKey: "TB0001" });
    const body = JSON.stringify({ type: "event_callback", team_id: "TA0001", event_id: "Ev_route_1", event: { type: "app_mention" } });
    const res = await post("/v1/webhooks/slack", body, await slackHeaders("secret-a", body));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.events).toEqual([{ event_id: res.body.event_id, duplicate: false }]);
    expect((await eventsOf(a)).map((e) => e.eventId)).toEqual([res.body.event_id]);
    expect(await eventsOf(b)).toHaveLength(0);
    expect(routeTasks()).toHaveLength(1);
  });

  it("routes Slack slash commands (form bodies) by team_id", async () => {
    const tenant = await makeTenant("slash");
    const id = await makeTrigger(tenant, "slack", { signing_secret: "slash-secret" }, { routeKey: "TSLASH1" });
    const body = "token=x&team_id=TSLASH1&command=%2Fdeploy&text=api&trigger_id=123.456.abc";
    const headers = { ...(await slackHeaders("slash-secret", body)), "content-type": "application/x-www-form-urlencoded" };
    const res = await post("/v1/webhooks/slack", body, headers);
    expect(res.status).toBe(200);
    const rows = await eventsOf(id);
    expect(rows[0]).toMatchObject({ eventType: "slash_command", body });
  });

  it("answers 401 when no candidate's secret verifies and 404 when no trigger has the route key", async () => {
    const tenant = await makeTenant("gh-route");
    await makeTrigger(tenant, "github", { signing_secret: "gh-route" }, { routeKey: "424242" });
    const body = JSON.stringify({ installation: { id: 424242 }, ref: "refs/heads/main" });
    const { sign } = await import("@octokit/webhooks-methods");
    const bad = await post("/v1/webhooks/github", body, { "x-hub-signature-256": await sign("wrong", body), "x-github-event": "push", "x-github-delivery": "r-1" });
    expect(bad.status).toBe(401);
    const good = await post("/v1/webhooks/github", body, { "x-hub-signature-256": await sign("gh-route", body), "x-github-event": "push", "x-github-delivery": "r-2" });
    expect(good.status).toBe(200);
    // No github trigger has route_key 999999999 and none is a wildcard (route_key unset) in this file.
    const other = JSON.stringify({ installation: { id: 999999999 } });
    const none = await post("/v1/webhooks/github", other, { "x-hub-signature-256": await sign("gh-route", other), "x-github-event": "push", "x-github-delivery": "r-3" });
    expect(none.status).toBe(404);
    expect(none.body.detail[0].msg).toMatch(/route_key/);
  });
});
