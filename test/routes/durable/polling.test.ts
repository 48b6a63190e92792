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

/**
 * A fetch double that behaves like the platform: with the default `redirect: "follow"` it
 * follows 3xx Location itself (up to 20 hops, forwarding every header but Authorization across
 * origins, as the Fetch standard does); with `redirect: "manual"` it returns the 3xx as is.
 * `hosts` maps a host to its handler; every request is logged.
 */
function platformFetch(hosts: Record<string, (req: Request) => Response | Promise<Response>>) {
  const log: Request[] = [];
  const once = async (req: Request) => {
    log.push(req);
    const h = hosts[new URL(req.url).host];
    return h ? h(req) : new Response("no such host", { status: 502 });
  };
  const impl = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    let req = new Request(input, init);
    const manual = init?.redirect === "manual" || req.redirect === "manual";
    for (let hop = 0; ; hop++) {
      const res = await once(req);
      const loc = res.headers.get("location");
      if (manual || res.status < 300 || res.status > 399 || !loc || hop >= 20) return res;
      const next = new URL(loc, req.url);
      const headers = new Headers(req.headers);
      if (next.origin !== new URL(req.url).origin) headers.delete("authorization");
      req = new Request(next, { headers });
    }
  };
  return { impl, log };
}

const redirect = (to: string, status = 302) => new Response(null, { status, headers: { location: to } });
const triggerRow = async (id: string) => (await db().select().from(triggers).where(eq(triggers.projectTriggerId, id)))[0]!;

describe("TriggerState.poll: redirects", () => {
  it("a redirect to the metadata address is refused by the policy on that hop, recorded, and never fetched", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://attacker.test/r" } });
    const f = platformFetch({ "attacker.test": () => redirect("http://169.254.169.254/latest/meta-data/iam"), "169.254.169.254": () => Response.json([{ id: "AKIA-secret" }]) });
    vi.spyOn(globalThis, "fetch").mockImplementation(f.impl);
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(/redirect.*metadata/) });
    expect(f.log.map((r) => new URL(r.url).host)).toEqual(["attacker.test"]);
    expect(await eventsOf(id)).toHaveLength(0);
    expect((await triggerRow(id)).lastError).toMatch(/metadata/);
  });

  it("follows up to 5 redirects (relative Locations resolved); a 6th is a recorded error", async () => {
    const tenant = await makeTenant();
    const ok = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/hop/0" } });
    const hops = (last: number) =>
      platformFetch({
        "upstream.test": (req) => {
          const n = Number(new URL(req.url).pathname.split("/").pop());
          return n < last ? redirect(`/hop/${n + 1}`, n % 2 ? 307 : 301) : Response.json([{ id: `at-${n}` }]);
        },
      });
    const five = hops(5);
    vi.spyOn(globalThis, "fetch").mockImplementation(five.impl);
    expect(await triggerStateFor(env, ok).poll(ok)).toMatchObject({ status: "ok", emitted: 1 });
    expect((await eventsOf(ok)).map((e) => e.dedupKey)).toEqual(["at-5"]);

    const far = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/hop/0" } });
    const seven = hops(7);
    vi.spyOn(globalThis, "fetch").mockImplementation(seven.impl);
    expect(await triggerStateFor(env, far).poll(far)).toMatchObject({ status: "error", error: expect.stringMatching(/more than 5 redirects/) });
    expect(seven.log).toHaveLength(6);
    expect(await eventsOf(far)).toHaveLength(0);
  });

  it("sends the connection's credentials only to the configured origin, never to a redirect target elsewhere", async () => {
    const tenant = await makeTenant();
    const conn = await makeConnection(tenant, "http", { bearer_token: "tok-123", headers: { "x-api-key": "k-9", "x-other": "o" } });
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", connectionId: conn, config: { url: "https://upstream.test/a" } });
    const f = platformFetch({
      "upstream.test": (req) => (new URL(req.url).pathname === "/a" ? redirect("/b") : redirect("https://elsewhere.test/c")),
      "elsewhere.test": () => Response.json([{ id: "x" }]),
    });
    vi.spyOn(globalThis, "fetch").mockImplementation(f.impl);
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "ok", emitted: 1 });
    const [a, b, c] = f.log;
    expect([a, b].map((r) => [r!.headers.get("authorization"), r!.headers.get("x-api-key")])).toEqual([
      ["Bearer tok-123", "k-9"],
      ["Bearer tok-123", "k-9"],
    ]);
    expect(new URL(c!.url).host).toBe("elsewhere.test");
    expect([c!.headers.get("authorization"), c!.headers.get("x-api-key"), c!.headers.get("x-other")]).toEqual([null, null, null]);
  });

  it("a trigger_config.url that is not a URL is a recorded error, not a throw", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "not a url" } });
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(/not a valid absolute URL/) });
    expect((await triggerRow(id)).lastError).toMatch(/not a valid absolute URL/);
  });

  it("a redirect without a Location is a recorded error", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/nowhere" } });
    vi.spyOn(globalThis, "fetch").mockImplementation(platformFetch({ "upstream.test": () => new Response(null, { status: 302 }) }).impl);
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(/302.*Location/) });
  });
});

describe("TriggerState.poll: hostile upstream bodies become a recorded poll error", () => {
  const MAX = 5 * 1024 * 1024;

  it("stops reading at POLL_MAX_BYTES and names the limit (bytes, not characters)", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/huge" } });
    const chunk = new TextEncoder().encode("é".repeat(32 * 1024)); // 64 KiB of two-byte characters
    let pulled = 0;
    const total = MAX + 2 * 1024 * 1024;
    vi.spyOn(globalThis, "fetch").mockImplementation(
      upstreamHandler("upstream.test", () => {
        const body = new ReadableStream<Uint8Array>({
          pull(ctl) {
            if (pulled >= total) return ctl.close();
            pulled += chunk.byteLength;
            ctl.enqueue(chunk);
          },
        });
        return new Response(body);
      }),
    );
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(/5242880 bytes/) });
    expect(pulled).toBeLessThan(MAX + 4 * chunk.byteLength);
    expect(await eventsOf(id)).toHaveLength(0);
  });

  it("counts bytes: 3 million two-byte characters (6 MB) are over the limit", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/wide" } });
    const text = `[{"id":"w","s":"${"é".repeat(3_000_000)}"}]`;
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => new Response(text)));
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(/5242880 bytes/) });
  });

  const bad = (s: string) => new TextEncoder().encode(s);
  const cases: [string, Uint8Array, RegExp][] = [
    ["10,000-deep nesting", bad(`[{"id":"d","x":${"[".repeat(10_000)}${"]".repeat(10_000)}}]`), /nested deeper than 64/],
    ["a number too large for a double", bad(`[{"id":"n","v":1e400}]`), /number/],
    ["an integer beyond 2^53", bad(`[{"id":"n","v":123456789012345678901234}]`), /2\^53/],
    ["invalid UTF-8", new Uint8Array([0x5b, 0x7b, 0x22, 0x69, 0x64, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d, 0x5d]), /UTF-8/],
    ["an items array of non-objects", bad(`[1, "two", null]`), /item 0 is not a JSON object/],
    ["an item larger than the largest event body (1 MiB)", bad(`[{"id":"big","s":"${"x".repeat(1_100_000)}"}]`), /1048576 bytes/],
    ["more items than the per-poll cap", bad(JSON.stringify(Array.from({ length: 1001 }, (_, i) => ({ id: i })))), /more than 1000 items/],
  ];
  it.each(cases)("%s", async (_name, body, msg) => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "http", triggerId: "poll", type: "polling", config: { url: "https://upstream.test/odd" } });
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("upstream.test", () => new Response(body)));
    const stub = triggerStateFor(env, id);
    expect(await stub.poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(msg) });
    expect((await triggerRow(id)).lastError).toMatch(msg);
    expect(await eventsOf(id)).toHaveLength(0);
    expect(await stub.cursor()).toBeNull();
  });

  it("an entity-bomb feed is a recorded poll error", async () => {
    const tenant = await makeTenant();
    const id = await makeTrigger(tenant, { providerId: "rss", triggerId: "poll", type: "polling", config: { url: "https://feeds.test/bomb" } });
    const xml = `<?xml version="1.0"?><!DOCTYPE rss [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><rss><channel><item><guid>&b;</guid></item></channel></rss>`;
    vi.spyOn(globalThis, "fetch").mockImplementation(upstreamHandler("feeds.test", () => new Response(xml)));
    expect(await triggerStateFor(env, id).poll(id)).toMatchObject({ status: "error", error: expect.stringMatching(/entities/) });
    expect((await triggerRow(id)).lastError).toMatch(/entities/);
  });
});
