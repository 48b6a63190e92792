import { createExecutionContext, createMessageBatch, env, getQueueResult, runInDurableObject } from "cloudflare:test";
import worker from "../../../src/index";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { events, triggers } from "../../../src/db/schema";
import { triggerStateFor } from "../../../src/durable/client";
import type { TriggerState } from "../../../src/durable/trigger-state";
import { db, makeConnection, makeTenant } from "../../fixtures";
import { makeTrigger, upstreamHandler } from "./helpers";

// The queue is the platform boundary: tests capture tasks and drive the handlers themselves,
// so the pool's background consumer never races them.
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
  vi.spyOn(env.TASKS, "sendBatch").mockResolvedValue(undefined as never);
});
afterEach(() => vi.restoreAllMocks());

const ITEMS = [
  { id: "a", title: "first", at: "2026-11-01T10:00:00Z" },
  { id: "b", title: "second", at: "2026-11-01T11:00:00Z" },
  { id: 3, title: "third", at: "2026-11-01T12:00:00Z" },
];

async function eventsOf(triggerId: string) {
  return db().select().from(events).where(eq(events.projectTriggerId, triggerId));
}

describe("TriggerState.poll (http JSON)", () => {
  it("five concurrent polls store each item once and the cursor only moves forward", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/feed", items_path: "data.items", id_field: "id", time_field: "at", polling_frequency: 60 } });
    let calls = 0;
    vi.spyOn(globalThis, "fetch").mockImplementation(
      upstreamHandler("upstream.test", async () => {
        calls++;
        // Yield so the polls would interleave if the object did not serialize them.
        await new Promise((r) => setTimeout(r, 5));
        return Response.json({ data: { items: ITEMS } });
      }),
    );
    const send = vi.spyOn(env.TASKS, "sendBatch");
    const stub = triggerStateFor(env, id);
    const results = await Promise.all([1, 2, 3, 4, 5].map(() => stub.poll(id)));
    expect(calls).toBe(5);
    const stored = await eventsOf(id);
    expect(stored.map((e) => e.dedupKey).sort()).toEqual(["3", "a", "b"]);
    expect(stored.every((e) => e.eventType === "poll.item" && e.appId === tenant.appId)).toBe(true);
    expect(results.filter((r) => r.status === "ok").reduce((n, r) => n + (r.status === "ok" ? r.emitted : 0), 0)).toBe(3);
    const versions = results.map((r) => (r.status === "ok" ? r.cursor.version : -1));
    expect([...versions].sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5]);
    const row = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;
    expect(row.cursorData).toMatchObject({ version: 5, last_item_at: "2026-11-01T12:00:00.000Z", items_emitted: 3 });
    expect(row.lastError).toBeNull();
    // The cursor held by the object (its SQLite) equals the D1 mirror.
    const inside = await runInDurableObject(stub, async (_obj: TriggerState, state) => state.storage.sql.exec<{ v: string }>("SELECT v FROM kv WHERE k = 'cursor'").one().v);
    expect(JSON.parse(inside)).toEqual(row.cursorData);
    // Each new event was handed to the router exactly once (the queue is the platform boundary).
    const routed = send.mock.calls.flatMap((c) => [...c[0]].map((m) => m.body as { kind: string; event_id: string }));
    expect(routed.filter((t) => t.kind === "event.route").map((t) => t.event_id).sort()).toEqual(stored.map((e) => e.eventId).sort());
  });

  it("emits only items it has not seen, oldest first", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/list", items_path: "", id_field: "id", time_field: "at" } });
    let list = ITEMS.slice(0, 2);
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => Response.json(list)));
    const stub = triggerStateFor(env, id);
    expect(await stub.poll(id)).toMatchObject({ status: "ok", emitted: 2 });
    list = [ITEMS[2]!, ...ITEMS.slice(0, 2)];
    expect(await stub.poll(id)).toMatchObject({ status: "ok", emitted: 1, fetched: 3 });
    const stored = await eventsOf(id);
    expect(stored).toHaveLength(3);
    expect(JSON.parse(stored.find((e) => e.dedupKey === "3")!.body)).toEqual(ITEMS[2]);
  });

  it("upstream 500 records last_error and keeps the cursor", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/x", id_field: "id" } });
    let fail = false;
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => (fail ? new Response("boom", { status: 500 }) : Response.json(ITEMS))));
    const stub = triggerStateFor(env, id);
    await stub.poll(id);
    const before = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;
    fail = true;
    const res = await stub.poll(id);
    expect(res.status).toBe("error");
    const after = (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;
    expect(after.lastError).toMatch(/HTTP 500/);
    expect(after.cursorData).toEqual(before.cursorData);
    expect(await stub.cursor()).toEqual(before.cursorData);
    // A later good poll clears the error and emits nothing twice.
    fail = false;
    expect(await stub.poll(id)).toMatchObject({ status: "ok", emitted: 0 });
    expect((await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!.lastError).toBeNull();
    expect(await eventsOf(id)).toHaveLength(3);
  });

  it("sends the connection's bearer token and headers", async () => {
    const tenant = await makeTenant();
    const conn = await makeConnection(tenant, "http", { bearer_token: "tok-123", headers: { "x-api-key": "k-9" } });
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", connectionId: conn, config: { url: "https://upstream.test/auth", id_field: "id" } });
    const seen: Headers[] = [];
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", (req) => (seen.push(req.headers), Response.json([]))));
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "ok" });
    expect(seen[0]!.get("authorization")).toBe("Bearer tok-123");
    expect(seen[0]!.get("x-api-key")).toBe("k-9");
  });

  it("refuses private upstreams by policy and reports a missing array", async () => {
    const tenant = await makeTenant();
    const priv = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "http://10.0.0.5/items" } });
    expect(await triggerStateFor(env, priv).poll(priv)).toMatchObject({ status: "error", error: expect.stringMatching(/private-network/) });
    const bad = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/obj", items_path: "nope" } });
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => Response.json({ data: [] })));
    expect(await triggerStateFor(env, bad).poll(bad)).toMatchObject({ status: "error", error: expect.stringMatching(/items_path 'nope'/) });
  });

  it("skip_existing baselines the first poll without emitting", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/b", skip_existing: true } });
    let list: unknown[] = ITEMS;
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => Response.json(list)));
    const stub = triggerStateFor(env, id);
    expect(await stub.poll(id)).toMatchObject({ status: "ok", emitted: 0 });
    list = [...ITEMS, { id: "d" }];
    expect(await stub.poll(id)).toMatchObject({ status: "ok", emitted: 1 });
    expect((await eventsOf(id)).map((e) => e.dedupKey)).toEqual(["d"]);
  });

  it("polls an RSS feed through the same object", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "rss", triggerId: "poll", type: "polling", config: { url: "https://feeds.test/rss" } });
    const xml = `<?xml version="1.0"?><rss version="2.0"><channel><title>x</title>
      <item><guid>g2</guid><title>Two</title><pubDate>Tue, 03 Nov 2026 10:00:00 GMT</pubDate></item>
      <item><guid>g1</guid><title>One</title><pubDate>Mon, 02 Nov 2026 10:00:00 GMT</pubDate></item></channel></rss>`;
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("feeds.test", () => new Response(xml, { headers: { "content-type": "application/rss+xml" } })));
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "ok", emitted: 2 });
    const stored = await eventsOf(id);
    // Oldest first: g1 was stored before g2 (UUIDv7 ids are time-ordered).
    expect(stored.sort((a, b) => (a.eventId < b.eventId ? -1 : 1)).map((e) => e.dedupKey)).toEqual(["g1", "g2"]);
    expect(JSON.parse(stored[0]!.body)).toMatchObject({ id: "g1", title: "One", published: "2026-11-02T10:00:00.000Z" });
  });

  it("skips disabled and non-polling triggers", async () => {
    const tenant = await makeTenant();
    const off = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", status: "DISABLED", config: { url: "https://upstream.test/z" } });
    expect(await triggerStateFor(env, off).poll(off)).toMatchObject({ status: "skipped" });
  });

  it("is reached through the queue consumer (trigger.poll task)", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/q" } });
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => Response.json([{ id: "q1" }])));
    const batch = createMessageBatch("switchyard-tasks", [{ id: "m1", timestamp: new Date(), attempts: 1, body: { v: 1, kind: "trigger.poll", project_trigger_id: id } }]);
    const ctx = createExecutionContext();
    await worker.queue(batch, env, ctx);
    expect((await getQueueResult(batch, ctx)).explicitAcks).toEqual(["m1"]);
    expect((await eventsOf(id)).map((e) => e.dedupKey)).toEqual(["q1"]);
  });
});
