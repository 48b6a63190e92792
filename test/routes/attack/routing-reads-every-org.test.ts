/**
 * Finding (cross-tenant cost and availability): routing reads every enabled action of every
 * org. `plan()` (services/routing.ts) selects the candidate actions with `is_enabled = 1 AND
 * EXISTS (json_each(trigger_ids) …)`, which SQLite can only answer by reading all enabled
 * actions of all tenants (`SEARCH actions USING INDEX actions_due (is_enabled=?)`), then keeps
 * those of each event's own org and app in JavaScript. Every consumer batch, every one-by-one
 * fallback and every single `event.route` pays that, so one tenant that creates many enabled
 * actions makes every other tenant's routing read (and be billed for) all of them — and since
 * queue-first ingest stores an event only together with its routing, a tenant that makes that
 * read slow enough to time out stops other tenants' acknowledged webhooks from being stored.
 * (Before this change, the one-by-one path read only the event's own org and app.)
 */
import { env } from "cloudflare:test";
import { eq } from "drizzle-orm";
import { afterEach, describe, expect, it, vi } from "vitest";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { actions, events } from "../../../src/db/schema";
import { db, makeEndpoint, makeTenant } from "../../fixtures";
import { recordingEnv, type Sent } from "../reliability/plans";
import { consume, deliver, ingestsOf, modeEnv, setup, spyQueue } from "../triggers/ingest-helpers";

afterEach(() => vi.restoreAllMocks());

describe("routing one tenant's event", () => {
  it("reads only its own org's actions, however many enabled actions other orgs have", async () => {
    const sent = spyQueue();
    const { t, triggerId } = await setup("atk-quiet");
    expect((await deliver(modeEnv("queue"), triggerId, "msg_quiet")).status).toBe(200);
    const [task] = ingestsOf(sent);
    vi.restoreAllMocks();

    // Another tenant with 1,000 enabled actions (none of them about the quiet tenant).
    const noisy = await makeTenant("atk-noisy");
    const endpointId = await makeEndpoint(noisy, "https://noisy.example.com/");
    const at = nowIso();
    const rows = Array.from({ length: 1000 }, () => ({
      actionId: uuidv7(), orgId: noisy.orgId, workspaceId: noisy.workspaceId, appId: noisy.appId, endpointId, name: "n", namespaceId: "ns",
      triggerIds: [uuidv7()], createdBy: "test", createdAt: at, updatedAt: at,
    }));
    // Four rows per statement (D1 binds at most 100 values), fifty statements per batch.
    const inserts = Array.from({ length: rows.length / 4 }, (_, i) => db().insert(actions).values(rows.slice(i * 4, i * 4 + 4)));
    for (let i = 0; i < inserts.length; i += 50) await db().batch(inserts.slice(i, i + 50) as [(typeof inserts)[number], ...(typeof inserts)[number][]]);

    const seen: Sent[] = [];
    await consume([task!], 1, recordingEnv(seen));
    expect((await db().select().from(events).where(eq(events.eventId, task!.event.event_id)))[0]?.status).toBe("routed");
    const candidates = seen.filter((s) => /from "actions"/i.test(s.sql) && /json_each/i.test(s.sql));
    expect(candidates.length).toBeGreaterThan(0);
    for (const s of candidates) {
      const r = await env.DB.prepare(s.sql).bind(...s.params).all();
      // The quiet tenant has one action: reading it should not cost a row per other tenant's action.
      expect(r.meta.rows_read, s.sql.slice(0, 200)).toBeLessThan(50);
    }
  });
});
