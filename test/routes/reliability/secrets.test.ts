/**
 * Secrets, over flows that really log: connection secrets that cannot be decrypted, deliveries
 * that fail (endpoint 500, network error) and are dead-lettered. Each flow's captured console
 * output must be non-empty and hold no secret (signing secrets, endpoint secrets, API key
 * tokens, the admin bearer token, passwords). API keys made through the API are stored as a
 * SHA-256 hex hash only. Every verifier's comparison goes through crypto.subtle.timingSafeEqual
 * with the received signature's bytes, and its answer decides the HTTP status.
 */
import { env } from "cloudflare:test";
import { sign as githubSign } from "@octokit/webhooks-methods";
import { afterEach, describe, expect, it, vi } from "vitest";
import { consumeDeadLetters } from "../../../src/queue/dead-letters";
import { taskHandlers } from "../../../src/queue/handlers";
import type { Task } from "../../../src/queue/messages";
import { sealSecrets } from "../../../src/services/connection-secrets";
import { ADMIN, api, makeTenant } from "../../fixtures";
import { PROVIDERS, hexOf } from "../../unit/providers/signers";
import { makeTrigger, post } from "../triggers/helpers";
import { populateTenant, type Populated } from "./populate";

afterEach(() => vi.restoreAllMocks());

const dec = new TextDecoder();
/** The password populateTenant gives its user. */
const PASSWORD = "pw-123456";
/** A valid AES-256 key that is not the Worker's ENCRYPTION_KEY. */
const OTHER_KEY = btoa(String.fromCharCode(...new Uint8Array(32).fill(7)));

/** Captures every console method; returns the captured lines. */
function captureLogs(): string[] {
  const logged: string[] = [];
  for (const level of ["log", "info", "warn", "error", "debug"] as const) {
    vi.spyOn(console, level).mockImplementation((...args: unknown[]) => void logged.push(args.map((a) => (typeof a === "string" ? a : JSON.stringify(a))).join(" ")));
  }
  return logged;
}

/** Every secret of a populated tenant, in the spellings that could leak. */
const secretsOf = (t: Populated) => [...t.secrets, t.secrets[0]!.slice("whsec_".length), ...Object.values(t.tokens), ADMIN, PASSWORD];

function expectNoSecret(haystacks: string[], secrets: string[]) {
  for (const s of secrets) for (const h of haystacks) expect(h.includes(s), `secret ${s.slice(0, 6)}… leaked in: ${h.slice(0, 300)}`).toBe(false);
}

/**
 * Drives a signed GitHub delivery of `t` through routing and delivery (tasks run in-line,
 * never by the pool's consumer), with `fetch` answering as `receiver` and no retries, then
 * consumes what was dead-lettered. Returns the texts a secret could leak into.
 */
async function failingDelivery(t: Populated, receiver: () => Promise<Response>): Promise<string[]> {
  const tasks: Task[] = [];
  const dead: Task[] = [];
  vi.spyOn(env.TASKS, "send").mockImplementation(async (m) => (tasks.push(m as Task), undefined as never));
  vi.spyOn(env.TASKS, "sendBatch").mockImplementation(async (ms) => (tasks.push(...[...ms].map((m) => m.body as Task)), undefined as never));
  vi.spyOn(env.DLQ, "send").mockImplementation(async (m) => (dead.push(m as Task), undefined as never));
  const fetchSpy = vi.spyOn(globalThis, "fetch").mockImplementation(receiver);
  await env.DB.prepare("UPDATE actions SET approval_required = 0, max_retries = 0 WHERE org_id = ?").bind(t.orgId).run();
  const body = JSON.stringify({ ref: "refs/heads/main" });
  const res = await api("POST", `/v1/webhooks/${t.ids.project_trigger_id}`, {
    body,
    headers: { "x-github-event": "push", "x-github-delivery": `d-${crypto.randomUUID()}`, "x-hub-signature-256": await githubSign(t.secrets[1]!, body) },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  for (let i = 0; i < tasks.length; i++) await taskHandlers[tasks[i]!.kind](env, tasks[i] as never);
  expect(fetchSpy).toHaveBeenCalledTimes(1);
  expect(dead.map((d) => d.kind)).toEqual(["run.deliver"]);
  const acked: string[] = [];
  const messages = dead.map((body, i) => ({ id: `dlq-${i}`, body, attempts: 1, timestamp: new Date(), ack: () => void acked.push(`dlq-${i}`), retry: () => undefined }));
  await consumeDeadLetters({ queue: "switchyard-dlq", messages, ackAll: () => undefined, retryAll: () => undefined } as unknown as MessageBatch<unknown>, env);
  expect(acked).toEqual(["dlq-0"]);
  const runs = await env.DB.prepare("SELECT * FROM runs WHERE org_id = ?").bind(t.orgId).all();
  const runList = await api("GET", `/v1/orgs/${t.orgId}/runs`, { token: t.tokens.admin });
  return [JSON.stringify(res.body), JSON.stringify(runs.results), JSON.stringify(runList.body)];
}

describe("secrets stay out of logs, replies and rows in flows that log", () => {
  it("a delivery the endpoint answers with HTTP 500 is dead-lettered: logged, no secret in the log", async () => {
    const logged = captureLogs();
    const t = await populateTenant("sec500");
    const texts = await failingDelivery(t, async () => new Response("internal error", { status: 500 }));
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join("\n")).toMatch(/dead letter/);
    const runs = await env.DB.prepare("SELECT error_code FROM runs WHERE org_id = ? AND error_code IS NOT NULL").bind(t.orgId).all<{ error_code: string }>();
    expect(runs.results.map((r) => r.error_code)).toEqual(["http_500"]);
    expectNoSecret([...logged, ...texts], secretsOf(t));
  });

  it("a delivery whose request fails at the network is dead-lettered: logged, no secret in the log", async () => {
    const logged = captureLogs();
    const t = await populateTenant("secnet");
    const texts = await failingDelivery(t, async () => {
      throw new TypeError("Network connection lost.");
    });
    expect(logged.length).toBeGreaterThan(0);
    expect(logged.join("\n")).toMatch(/dead letter/);
    const runs = await env.DB.prepare("SELECT error_code FROM runs WHERE org_id = ? AND error_code IS NOT NULL").bind(t.orgId).all<{ error_code: string }>();
    expect(runs.results.map((r) => r.error_code)).toEqual(["network_error"]);
    expectNoSecret([...logged, ...texts], secretsOf(t));
  });

  it("a connection sealed with another key fails verification (401), is logged, and the log holds no secret", async () => {
    const t = await makeTenant("secdecrypt");
    const secret = "decrypt-flow-signing-secret-0123456789";
    const id = await makeTrigger(t, "github", { signing_secret: secret });
    await env.DB.prepare("UPDATE connections SET secrets_enc = ? WHERE connection_id = (SELECT connection_id FROM triggers WHERE project_trigger_id = ?)")
      .bind(await sealSecrets(OTHER_KEY, { signing_secret: secret }), id)
      .run();
    const logged = captureLogs();
    const body = '{"ref":"refs/heads/main"}';
    const res = await post(`/v1/webhooks/${id}`, body, { "content-type": "application/json", "x-github-event": "push", "x-github-delivery": "dec-1", "x-hub-signature-256": await githubSign(secret, body) });
    expect(res.status).toBe(401);
    expect(res.body.detail[0].type).toBe("invalid_signature");
    expect(logged.join("\n")).toMatch(/could not be decrypted/);
    expectNoSecret([...logged, JSON.stringify(res.body)], [secret, OTHER_KEY, env.ENCRYPTION_KEY, ...Object.values(t.tokens), ADMIN]);
  });
});

describe("API keys made through the API", () => {
  it("are stored as the SHA-256 hex of the token only, and the token works", async () => {
    const t = await makeTenant("keys");
    const made = await api("POST", `/v1/orgs/${t.orgId}/api-keys`, { token: t.tokens.admin, body: { name: "ci", role: "viewer" } });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const token = made.body.token as string;
    expect(token).toMatch(/^sy_/);
    const row = await env.DB.prepare("SELECT * FROM api_keys WHERE key_id = ?").bind(made.body.key_id).first<Record<string, unknown>>();
    expect(row).not.toBeNull();
    const digest = hexOf(new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token))));
    expect(row!.token_hash).toBe(digest);
    const text = JSON.stringify(row);
    expect(text.includes(token)).toBe(false);
    expect(text.includes(token.split("_").pop()!)).toBe(false);
    expect((await api("GET", `/v1/orgs/${t.orgId}/connections`, { token })).status).toBe(200);
    const listed = JSON.stringify((await api("GET", `/v1/orgs/${t.orgId}/api-keys`, { token: t.tokens.admin })).body);
    expect(listed.includes(token)).toBe(false);
    expect(listed.includes(digest)).toBe(false);
  });
});

describe("every verifier compares in constant time, and the comparison decides the answer", () => {
  for (const p of PROVIDERS) {
    it(`${p.label}: timingSafeEqual sees the received signature; 200 when it matches, 401 when not`, async () => {
      vi.spyOn(env.TASKS, "send").mockResolvedValue(undefined as never);
      const t = await makeTenant(`ct-${p.provider}`);
      const secret = p.newSecret();
      const id = await makeTrigger(t, p.provider, p.secrets(secret), { config: p.config });
      const spy = vi.spyOn(crypto.subtle, "timingSafeEqual");
      const seen = () => spy.mock.calls.map(([a]) => dec.decode(a as Uint8Array).toLowerCase());
      for (const [signWith, status] of [
        [secret, 200],
        [p.newSecret(), 401],
      ] as const) {
        spy.mockClear();
        const d = { id: `ct-${crypto.randomUUID()}`, ts: Math.floor(Date.now() / 1000), routeKey: "rk" };
        const body = p.body(d, signWith);
        const headers = await p.sign(signWith, body, d);
        const res = await post(`/v1/webhooks/${id}`, body, headers);
        expect(res.status, JSON.stringify(res.body)).toBe(status);
        expect(seen()).toContain(p.received(headers, body).toLowerCase());
      }
    });
  }
});
