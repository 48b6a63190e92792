/**
 * `POST /v1/webhooks/{provider_id}` candidate selection: a crowd of one org's triggers never
 * pushes another org's matching trigger out of the candidates verified. (Its own file so no
 * other test's rows take part in the selection.)
 */
import { sign as githubSign } from "@octokit/webhooks-methods";
import { describe, expect, it } from "vitest";
import { makeConnection, makeTenant } from "../../fixtures";
import { eventsOf, insertTrigger, makeTrigger, post } from "./helpers";

const ghHeaders = async (secret: string, body: string, delivery: string) => ({
  "content-type": "application/json",
  "x-hub-signature-256": await githubSign(secret, body),
  "x-github-event": "push",
  "x-github-delivery": delivery,
});

describe("provider-id candidate selection", () => {
  it("50 older wildcard triggers of one org do not crowd out another org's keyed, correctly signed trigger", async () => {
    const crowd = await makeTenant("crowd");
    const conn = await makeConnection(crowd, "github", { signing_secret: "crowd-secret" });
    for (let i = 0; i < 50; i++) await insertTrigger(crowd, "github", { connectionId: conn, ageMs: 120_000 + i });
    const victim = await makeTenant("crowd-victim");
    const id = await makeTrigger(victim, "github", { signing_secret: "victim-secret" }, { routeKey: "7003" });
    const body = JSON.stringify({ installation: { id: 7003 } });
    const res = await post("/v1/webhooks/github", body, await ghHeaders("victim-secret", body, "crowd-1"));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await eventsOf(id)).toHaveLength(1);
  });

});
