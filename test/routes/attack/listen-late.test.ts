/**
 * Finding: `switchyard listen` / `tail` (cli/lib/follow.mjs) never forward an event that
 * reaches the events API more than 30 s after its `received_at`. Queue-first ingest stores an
 * event when its batch is consumed — seconds normally, but minutes when the consumer retries
 * (D1 refusing: 5 s, 10 s, 20 s … backoff), when it has a backlog, or hours through the
 * dead-letter queue and an inbox. The follower polls `since = newest seen − 30 s`, so such an
 * event, stored behind events it has already seen, is silently skipped for good.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import { eventIdFor } from "../../../src/core/ids";
import { storeIngested, type IngestedEvent } from "../../../src/engine/event-log";
import { api } from "../../fixtures";
import { deliver, modeEnv, setup, spyQueue } from "./helpers";

// follow.mjs reaches the API through lib/api.mjs, which imports Node-only modules (config):
// its `call` is replaced by one that unwraps openapi-fetch's result, as the real one does.
vi.mock("../../../cli/lib/api.mjs", () => ({
  call: async (pending: Promise<{ data?: unknown; response: Response; error?: unknown }>) => {
    const { data, response, error } = await pending;
    if (!response.ok) throw new Error(`${response.status} ${JSON.stringify(error)}`);
    return data ?? null;
  },
}));

afterEach(() => vi.restoreAllMocks());

describe("switchyard listen under queue-first ingest", () => {
  it("forwards an event that reached D1 a minute after it was acknowledged", async () => {
    spyQueue();
    const { t, triggerId } = await setup("atk-listen");
    // openapi-fetch's GET over the Worker, as the CLI's client would call it.
    let polls = 0;
    const GET = async (_path: string, o: { params: { path: { org_id: string }; query: Record<string, unknown> } }) => {
      if (o.params.query.since) polls++;
      const q = new URLSearchParams(Object.entries(o.params.query).filter(([, v]) => v !== undefined).map(([k, v]) => [k, String(v)]));
      const res = await api("GET", `/v1/orgs/${o.params.path.org_id}/events?${q}`, { token: t.tokens.viewer });
      return { data: res.status === 200 ? res.body : undefined, error: res.status === 200 ? undefined : res.body, response: new Response(null, { status: res.status }) };
    };
    // @ts-expect-error: the CLI is plain JavaScript without type declarations
    const { follow } = await import("../../../cli/lib/follow.mjs");
    const got: string[] = [];
    const stop = new AbortController();
    const run = follow({ api: { GET }, org: t.orgId }, { trigger: triggerId, intervalMs: 20, onEvent: async (e: { event_id: string }) => void got.push(e.event_id), signal: stop.signal });
    const waitFor = async (id: string) => {
      for (let i = 0; i < 250 && !got.includes(id); i++) await new Promise((r) => setTimeout(r, 20));
    };
    // The follower has taken its baseline and polls; an event stored on time is forwarded.
    for (let i = 0; i < 250 && polls === 0; i++) await new Promise((r) => setTimeout(r, 20));
    const onTime = (await deliver(modeEnv("d1"), triggerId, "msg_on_time")).body.event_id as string;
    await waitFor(onTime);
    expect(got).toContain(onTime);
    // One acknowledged 60 s ago reaches D1 now (its queue batch was retried).
    const key = "whid:msg_late";
    const late: IngestedEvent = {
      event_id: await eventIdFor(triggerId, key), org_id: t.orgId, app_id: t.appId, project_trigger_id: triggerId, provider_id: "standard_webhooks",
      event_type: "invoice.paid", dedup_key: key, headers: {}, body: "{}", status: "received", received_at: new Date(Date.now() - 60_000).toISOString(),
    };
    await storeIngested(env.DB, [late]);
    await waitFor(late.event_id);
    stop.abort();
    await run;
    expect(got).toContain(late.event_id);
  });
});
