/**
 * Finding: an org deleted between a webhook's 2xx and its storage (queue-first ingest) comes
 * back as orphan event rows. `DELETE /v1/orgs/{id}` removes "everything it owns" in one D1
 * batch, but acknowledged deliveries still in a queue message or an inbox object are inserted
 * afterwards with the deleted org's org_id: their bodies and headers stay in D1 for good —
 * no API can reach them (the org is gone) and retention never purges them (it walks the
 * orgs table). In mode d1 the window is one request; here it is the queue's (seconds, or
 * hours through the dead-letter queue) and the trigger cache's 5 s in other isolates.
 */
import { env, runDurableObjectAlarm } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { events } from "../../../src/db/schema";
import { inboxFor } from "../../../src/durable/client";
import type { Task } from "../../../src/queue/messages";
import { purgeExpired } from "../../../src/services/retention";
import { ADMIN, api, db } from "../../fixtures";
import { consume, deliver, ingestsOf, modeEnv, setup, spyQueue } from "../triggers/ingest-helpers";

let sent: Task[];
beforeEach(() => {
  sent = spyQueue();
});
afterEach(() => vi.restoreAllMocks());

const rowsOf = (orgId: string) => db().select().from(events).where(eq(events.orgId, orgId));

describe("an org deleted while its acknowledged webhooks are on their way to D1", () => {
  it("queue mode: the consumer stores nothing for the deleted org (no orphan rows with its bodies)", async () => {
    const { t, triggerId } = await setup("atk-deleted-q");
    const res = await deliver(modeEnv("queue"), triggerId, "msg_pii_q", JSON.stringify({ type: "customer.created", ssn: "078-05-1120" }));
    expect(res.status).toBe(200);
    expect((await api("DELETE", `/v1/orgs/${t.orgId}`, { token: ADMIN })).status).toBe(204);
    expect(await rowsOf(t.orgId)).toHaveLength(0);
    const result = await consume(ingestsOf(sent));
    // The message is settled (nothing to store), not retried forever.
    expect(result.explicitAcks).toEqual(["m0"]);
    expect(await rowsOf(t.orgId)).toEqual([]);
    // And retention, which walks the orgs table, would never have removed them.
    await purgeExpired(env, new Date(Date.now() + 400 * 86_400_000));
    expect(await rowsOf(t.orgId)).toEqual([]);
  });

  it("inbox mode: the inbox's flush stores nothing for the deleted org, and lets the row go", async () => {
    const { t, triggerId } = await setup("atk-deleted-ib");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_pii_ib", JSON.stringify({ type: "customer.created", ssn: "219-09-9999" }));
    expect(res.status).toBe(200);
    expect((await api("DELETE", `/v1/orgs/${t.orgId}`, { token: ADMIN })).status).toBe(204);
    await runDurableObjectAlarm(inboxFor(env, res.body.event_id));
    expect(await rowsOf(t.orgId)).toEqual([]);
    // The held row left the inbox (it is not retried forever either).
    const peek = await inboxFor(env, res.body.event_id).peek(t.orgId, res.body.event_id);
    expect(peek).toBeNull();
  });
});
