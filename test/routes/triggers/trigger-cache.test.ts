/**
 * The ingest path's trigger cache never changes an answer: after a delivery warmed it, a
 * trigger disabled, a secret rotated or a trigger deleted behind its back (as another isolate
 * would) is honoured on the very next delivery.
 */
import { createExecutionContext, env, waitOnExecutionContext } from "cloudflare:test";
import { sign } from "@octokit/webhooks-methods";
import { eq } from "drizzle-orm";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { connections, triggers } from "../../../src/db/schema";
import { createApp } from "../../../src/http/app";
import { sealSecrets } from "../../../src/services/connection-secrets";
import { cachedCandidate } from "../../../src/services/trigger-cache";
import { db, makeTenant } from "../../fixtures";
import { eventsOf, makeTrigger } from "./helpers";

const app = createApp();
beforeEach(() => {
  vi.spyOn(env.TASKS, "send").mockImplementation(async () => undefined as never);
});
afterEach(() => vi.restoreAllMocks());

async function deliver(triggerId: string, secret: string, delivery: string) {
  const body = JSON.stringify({ zen: delivery });
  const ctx = createExecutionContext();
  const res = await app.fetch(
    new Request(`http://sy.test/v1/webhooks/${triggerId}`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-github-event": "ping2", "x-github-delivery": delivery, "x-hub-signature-256": await sign(secret, body) },
      body,
    }),
    env,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: res.status, body: (await res.json()) as any };
}

async function warm() {
  const t = await makeTenant("cache");
  const triggerId = await makeTrigger(t, "github", { signing_secret: "old-secret" });
  expect((await deliver(triggerId, "old-secret", "d-1")).status).toBe(200);
  expect(cachedCandidate(triggerId)).toBeDefined();
  return { t, triggerId };
}

describe("trigger lookup cache", () => {
  it("a trigger disabled elsewhere answers 409 and stores nothing", async () => {
    const { triggerId } = await warm();
    await db().update(triggers).set({ status: "DISABLED" }).where(eq(triggers.projectTriggerId, triggerId));
    const res = await deliver(triggerId, "old-secret", "d-2");
    expect(res.status).toBe(409);
    expect(res.body.detail[0].type).toBe("trigger_disabled");
    expect(await eventsOf(triggerId)).toHaveLength(1);
  });

  it("a rotated secret verifies at once (a failed check re-reads D1)", async () => {
    const { triggerId } = await warm();
    const row = await db().select().from(triggers).where(eq(triggers.projectTriggerId, triggerId)).get();
    await db().update(connections).set({ secretsEnc: await sealSecrets(env.ENCRYPTION_KEY, { signing_secret: "new-secret" }) }).where(eq(connections.connectionId, row!.connectionId!));
    expect((await deliver(triggerId, "new-secret", "d-3")).status).toBe(200);
    expect(await eventsOf(triggerId)).toHaveLength(2);
  });

  it("a trigger deleted elsewhere answers 404", async () => {
    const { triggerId } = await warm();
    await db().delete(triggers).where(eq(triggers.projectTriggerId, triggerId));
    expect((await deliver(triggerId, "old-secret", "d-4")).status).toBe(404);
    expect(await eventsOf(triggerId)).toHaveLength(1);
  });
});
