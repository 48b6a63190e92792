/**
 * Secrets: connection and endpoint secrets never appear in any response, log line or event
 * record; API keys are stored hashed; signature comparison goes through the constant-time
 * primitive.
 */
import { env } from "cloudflare:test";
import { sign as githubSign } from "@octokit/webhooks-methods";
import { afterEach, describe, expect, it, vi } from "vitest";
import { taskHandlers } from "../../../src/queue/handlers";
import type { Task } from "../../../src/queue/messages";
import { api } from "../../fixtures";
import { populateTenant } from "./populate";
import { documentedRoutes, fillPath } from "./routes";

afterEach(() => vi.restoreAllMocks());

describe("secrets stay secret", () => {
  it("never returns, logs or stores connection and endpoint secrets", async () => {
    const logged: string[] = [];
    for (const level of ["log", "info", "warn", "error", "debug"] as const) {
      vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map(String).join(" ")));
    }
    const t = await populateTenant("secrets");
    const [endpointSecret, connectionSecret] = t.secrets as [string, string];
    // A full flow: a signed GitHub delivery, routed and delivered to the endpoint with its secret.
    const sent: Task[] = [];
    vi.spyOn(env.TASKS, "send").mockImplementation(async (m) => {
      sent.push(m as Task);
      return undefined as never;
    });
    await env.DB.prepare("UPDATE actions SET approval_required = 0 WHERE org_id = ?").bind(t.orgId).run();
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => new Response("ok"));
    const body = JSON.stringify({ ref: "refs/heads/main" });
    const res = await api("POST", `/v1/webhooks/${t.ids.project_trigger_id}`, {
      body,
      headers: { "x-github-event": "push", "x-github-delivery": "sec-1", "x-hub-signature-256": await githubSign(connectionSecret, body) },
    });
    expect(res.status).toBe(200);
    for (let i = 0; i < sent.length; i++) await taskHandlers[sent[i]!.kind](env, sent[i] as never);
    expect(sent.map((m) => m.kind)).toContain("run.deliver");
    // Every documented GET of the tenant, read as its admin.
    const texts: string[] = [JSON.stringify(res.body)];
    for (const r of (await documentedRoutes()).filter((x) => x.method === "GET")) {
      const path = fillPath(r.template, t.ids, { api_key: t.tokens.admin });
      if (path) texts.push(JSON.stringify((await api("GET", path, { token: t.tokens.admin })).body));
    }
    const stored = await env.DB.prepare("SELECT * FROM events WHERE org_id = ?").bind(t.orgId).all();
    const runs = await env.DB.prepare("SELECT * FROM runs WHERE org_id = ?").bind(t.orgId).all();
    const haystacks = [...texts, ...logged, JSON.stringify(stored.results), JSON.stringify(runs.results)];
    for (const secret of [endpointSecret, connectionSecret, endpointSecret.slice(6)]) {
      for (const h of haystacks) expect(h.includes(secret), `secret leaked in: ${h.slice(0, 200)}`).toBe(false);
    }
  });

  it("stores API keys only as hashes", async () => {
    const t = await populateTenant("hashes");
    const rows = JSON.stringify((await env.DB.prepare("SELECT * FROM api_keys WHERE org_id = ?").bind(t.orgId).all()).results);
    for (const token of Object.values(t.tokens)) {
      expect(rows.includes(token)).toBe(false);
      expect(rows.includes(token.split("_").pop()!)).toBe(false);
    }
  });

  it("compares webhook signatures with the constant-time primitive", async () => {
    const t = await populateTenant("timing");
    const spy = vi.spyOn(crypto.subtle, "timingSafeEqual");
    const body = "{}";
    await api("POST", `/v1/webhooks/${t.ids.project_trigger_id}`, {
      body,
      headers: { "x-github-event": "push", "x-github-delivery": "t-1", "x-hub-signature-256": await githubSign("wrong-secret", body) },
    });
    expect(spy).toHaveBeenCalled();
  });
});
