/**
 * Retention end to end, against `npm start` with a recording receiver. wrangler dev ignores
 * `/__scheduled?time=`, so the clock cannot be moved and nothing can be made old without a
 * direct DB write; instead the org's own retention is moved through the API: at 1 day the
 * records just created have not expired and stay; at 0 days every final record has expired
 * at the next cron, while the run awaiting approval and another org's records (default 30
 * days) stay. Only the API and the real cron are used.
 */
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { call, runCron, setupTenant, startReceiver, waitFor } from "./harness";

type Tenant = Awaited<ReturnType<typeof setupTenant>>;
let receiver: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  receiver = await startReceiver();
});
afterAll(() => receiver.stop());

/** A tenant with a delivered run, a run awaiting approval and an unmatched webhook event. */
async function populate(t: Tenant, tag: string) {
  const ep = await call("POST", `${t.base}/endpoints`, { token: t.token, body: { name: tag, url: `${receiver.url}/${tag}` } });
  expect(ep.status, JSON.stringify(ep.body)).toBe(201);
  const mk = async (name: string, approval: boolean) => {
    const a = await call("POST", `${t.base}/actions`, { token: t.token, body: { namespace_id: "e2e", name, endpoint_id: ep.body.endpoint_id, approval_required: approval } });
    expect(a.status, JSON.stringify(a.body)).toBe(201);
    const trig = await call("POST", `${t.base}/actions/${a.body.action_id}/trigger`, { token: t.token, body: {} });
    expect(trig.status, JSON.stringify(trig.body)).toBeLessThan(300);
    return { actionId: a.body.action_id as string, runId: trig.body.run_id as string };
  };
  const done = await mk("ship", false);
  const waiting = await mk("guarded", true);
  await waitFor(async () => (await call("GET", `/v1/orgs/${t.orgId}/runs/${done.runId}`, { token: t.token })).body?.run?.status === "success", `${tag} delivered`);
  const secret = `whsec_${btoa("e2e-retention-secret-0123456789ab")}`;
  const conn = await call("POST", `/v1/orgs/${t.orgId}/connections`, { token: t.token, body: { provider_id: "standard_webhooks", name: "sw", secrets: { signing_secret: secret } } });
  const trg = await call("POST", `/projects/${t.appId}/triggers`, { token: t.token, body: { provider_id: "standard_webhooks", trigger_id: "on_any_event", connection_id: conn.body.connection_id } });
  await call("POST", `/triggers/${trg.body.project_trigger_id}/enable`, { token: t.token });
  const payload = JSON.stringify({ type: "noise", tag });
  const now = new Date();
  const headers = { "webhook-id": `msg_${tag}`, "webhook-timestamp": String(Math.floor(now.getTime() / 1000)), "webhook-signature": new Webhook(secret).sign(`msg_${tag}`, now, payload) };
  const ev = await call("POST", `/v1/webhooks/${trg.body.project_trigger_id}`, { body: payload, headers });
  expect(ev.status, JSON.stringify(ev.body)).toBe(200);
  const eventId = ev.body.event_id as string;
  await waitFor(async () => (await call("GET", `/v1/orgs/${t.orgId}/events/${eventId}`, { token: t.token })).body?.status === "unmatched", `${tag} event routed`);
  return { done, waiting, eventId };
}

const status = async (t: Tenant, path: string) => (await call("GET", `/v1/orgs/${t.orgId}${path}`, { token: t.token })).status;

describe("retention end to end", () => {
  it("purges only what has expired", async () => {
    const a = await setupTenant(`e2e-retention-a-${Date.now()}`);
    const b = await setupTenant(`e2e-retention-b-${Date.now()}`);
    const inA = await populate(a, "a");
    const inB = await populate(b, "b");

    // 1 day: nothing created a minute ago has expired.
    expect((await call("PUT", `/v1/orgs/${a.orgId}/retention`, { token: a.token, body: { retention_days: 1 } })).status).toBe(200);
    await runCron();
    expect(await status(a, `/runs/${inA.done.runId}`)).toBe(200);
    expect(await status(a, `/events/${inA.eventId}`)).toBe(200);

    // 0 days: every final record of org A has expired at the next cron.
    const put = await call("PUT", `/v1/orgs/${a.orgId}/retention`, { token: a.token, body: { retention_days: 0 } });
    expect(put.body).toMatchObject({ retention_days: 0, override_days: 0, default_days: 30 });
    await runCron();
    await waitFor(async () => (await status(a, `/runs/${inA.done.runId}`)) === 404, "A's delivered run purged");
    expect(await status(a, `/events/${inA.eventId}`)).toBe(404);
    // Not final: the run awaiting approval stays, and can still be decided.
    const waiting = await call("GET", `/v1/orgs/${a.orgId}/runs/${inA.waiting.runId}`, { token: a.token });
    expect(waiting.body.run.status).toBe("pending_approval");
    // Another org, at the default 30 days: untouched.
    expect(await status(b, `/runs/${inB.done.runId}`)).toBe(200);
    expect(await status(b, `/events/${inB.eventId}`)).toBe(200);
    // What was purged is counted, for A only.
    const m = await call("GET", `/v1/orgs/${a.orgId}/metrics`, { token: a.token });
    expect(m.body.purged).toMatchObject({ events: 1, executions: 1, runs: 1 });
    expect(m.body.purged.last_purge_at).toEqual(expect.any(String));
    expect((await call("GET", `/v1/orgs/${b.orgId}/metrics`, { token: b.token })).body.purged).toMatchObject({ events: 0, executions: 0, runs: 0 });
    // B's admin cannot see or change A's retention.
    expect((await call("GET", `/v1/orgs/${a.orgId}/retention`, { token: b.token })).status).toBe(404);
  });
});
