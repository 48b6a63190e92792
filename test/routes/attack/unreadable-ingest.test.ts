/**
 * Finding: an `event.ingest` message this version cannot parse — one written by a newer or
 * older deploy (a rollback past queue-first ingest, or a later change to IngestedEvent while
 * messages are in flight) — is an acknowledged webhook that gets dropped:
 * - the task consumer dead-letters it and acks it even when the dead-letter queue refuses
 *   the send, so it is gone;
 * - the dead-letter consumer logs the whole message (the webhook's headers and body, which
 *   docs/api.md promises never to log for an event.ingest) and acks it: nothing kept.
 * Such a message must be kept (retried with a delay, as a dead-lettered event.ingest that
 * nothing can store is) and logged by its event id only.
 */
import { env } from "cloudflare:test";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { Task } from "../../../src/queue/messages";
import { consume, deliver, ingestsOf, modeEnv, setup, spyQueue } from "../triggers/ingest-helpers";

afterEach(() => vi.restoreAllMocks());

/** The message a newer deploy would send: same kind, a version (and a field) this one does not know. */
async function newerIngest(): Promise<Task> {
  const sent = spyQueue();
  const { triggerId } = await setup("atk-skew");
  const body = JSON.stringify({ type: "customer.created", card: "4242 4242 4242 4242" });
  expect((await deliver(modeEnv("queue"), triggerId, "msg_skew", body)).status).toBe(200);
  const [task] = ingestsOf(sent);
  vi.restoreAllMocks();
  return { ...task!, v: 2, event: { ...task!.event, tenant_region: "eu" } } as unknown as Task;
}

describe("an event.ingest message this version cannot read", () => {
  it("the task consumer does not ack it when the dead-letter queue refuses it", async () => {
    const msg = await newerIngest();
    vi.spyOn(env.DLQ, "send").mockRejectedValue(new Error("queue unavailable"));
    const result = await consume([msg]);
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
  });

  it("the dead-letter consumer keeps it (retried later, never acked) and never logs its body", async () => {
    const msg = await newerIngest();
    const logs: string[] = [];
    for (const level of ["error", "warn", "log", "info"] as const) vi.spyOn(console, level).mockImplementation((...a: unknown[]) => void logs.push(a.map(String).join(" ")));
    const result = await consume([msg], 1, env, "switchyard-dlq");
    expect(result.explicitAcks).toEqual([]);
    expect(result.retryMessages.map((m) => m.msgId)).toEqual(["m0"]);
    expect(logs.join("\n")).not.toContain("4242");
    expect(logs.join("\n")).toContain((msg as Extract<Task, { kind: "event.ingest" }>).event.event_id);
  });
});
