/**
 * Findings on reading an event that its inbox still holds (GET …/events/{id} answers it from
 * the inbox object, docs/api.md "Ingest"):
 * - when the inbox objects cannot be reached (the Durable Object refuses: overload, an
 *   outage), every GET of an event D1 does not hold — a mistyped id, one acknowledged a
 *   second ago and still in a queue message — is a 500 instead of the documented 404 with
 *   its "may still be on its way" hint; in mode `queue` that is a Durable Object call the
 *   event was never in;
 * - the console's event page 404s for a held event that the API (and MCP get_event) answer,
 *   because its runs and forwards are read from D1 only;
 * - a GET that runs while the inbox flushes the event is a 404 for an event that exists: D1 is
 *   read first (not there yet), the flush then stores it and lets the inbox row go, and the
 *   inbox is asked second (not there any more).
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { eventIdFor } from "../../../src/core/ids";
import { inboxFor } from "../../../src/durable/client";
import { flushHere } from "../../../src/durable/inbox";
import type { Env } from "../../../src/env";
import { api } from "../../fixtures";
import { req, session } from "../console/helpers";
import { deliver, modeEnv, setup, spyQueue } from "../triggers/ingest-helpers";

beforeEach(() => {
  spyQueue();
});
afterEach(() => vi.restoreAllMocks());

describe("reading an event while its inbox is unreachable", () => {
  it("an event D1 does not hold is the documented 404 (with its hint), not a 500", async () => {
    const { t, triggerId } = await setup("atk-peek-down");
    const id = await eventIdFor(triggerId, "whid:msg_still_in_the_queue");
    vi.spyOn(env.TRIGGER_STATE, "get").mockImplementation(() => ({ peek: async () => { throw new Error("Durable Object overloaded"); } }) as never);
    const res = await api("GET", `/v1/orgs/${t.orgId}/events/${id}`, { token: t.tokens.viewer });
    expect(res.status).toBe(404);
    expect(res.body.detail[0].msg).toMatch(/on its way to storage.*not found$/);
  });
});

describe("the console's page of an event its inbox still holds", () => {
  it("shows the event, as the API does (no runs, no forwards yet)", async () => {
    const { t, triggerId } = await setup("atk-console-held");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_console_held");
    expect(res.status).toBe(200);
    // Held for the length of the test: its flush alarm (100 ms) waits until the end.
    await runInDurableObject(inboxFor(env, res.body.event_id), async (_o, state) => state.storage.deleteAlarm());
    const viaApi = await api("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.tokens.viewer });
    expect(viaApi.status).toBe(200);
    const { cookie } = await session(t.tokens.viewer);
    const page = await req("GET", `/console/events/${res.body.event_id}`, { cookie });
    expect(page.status).toBe(200);
    expect(page.text).toContain(res.body.event_id);
    await runDurableObjectAlarm(inboxFor(env, res.body.event_id));
  });
});

describe("reading an event while its inbox flushes it", () => {
  it("finds it (in D1 or in the inbox), never a 404 in between", async () => {
    const { t, triggerId } = await setup("atk-flush-race");
    const res = await deliver(modeEnv("inbox"), triggerId, "msg_flush_race");
    expect(res.status).toBe(200);
    // Held until the GET: its own alarm (100 ms) must not flush it first.
    await runInDurableObject(inboxFor(env, res.body.event_id), async (_o, state) => state.storage.deleteAlarm());
    // The flush lands between the GET's D1 read and its inbox read: the peek flushes the inbox first.
    const realGet = env.TRIGGER_STATE.get.bind(env.TRIGGER_STATE);
    vi.spyOn(env.TRIGGER_STATE, "get").mockImplementation((id) => {
      const stub = realGet(id);
      return {
        peek: async (org: string, ev: string) => {
          await runInDurableObject(stub, async (_o, state) => flushHere(state.storage.sql, env as Env));
          return stub.peek(org, ev);
        },
      } as never;
    });
    const got = await api("GET", `/v1/orgs/${t.orgId}/events/${res.body.event_id}`, { token: t.tokens.viewer });
    expect(got.status).toBe(200);
    expect(got.body.event_id).toBe(res.body.event_id);
  });
});
