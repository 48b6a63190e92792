/**
 * Helpers for end-to-end tests against the real `npm start` server (see global-setup.ts):
 * a JSON client, a recording receiver on 127.0.0.1, the cron trigger, bounded waiting.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { inject } from "vitest";
import { createSwitchyardClient, errorMessage } from "../../client/index.mjs";

export const baseUrl = () => inject("baseUrl");
export const adminToken = () => inject("adminToken");

export interface CallResult {
  status: number;
  body: any;
  headers: Headers;
}

/** One HTTP call to the server. A string body is sent as-is; anything else as JSON. */
export async function call(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<CallResult> {
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.body !== undefined) {
    body = typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body);
    headers["content-type"] ??= "application/json";
  }
  const res = await fetch(`${baseUrl()}${path}`, { method, headers, body });
  const text = await res.text();
  let parsed: any = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Fires the Worker's cron handler once, the way wrangler's --test-scheduled exposes it. */
export async function runCron(): Promise<void> {
  const res = await fetch(`${baseUrl()}/__scheduled?cron=${encodeURIComponent("* * * * *")}`);
  if (!res.ok) throw new Error(`/__scheduled answered ${res.status}`);
}

/** Polls `probe` until it returns a truthy value; throws after `timeoutMs`. */
export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface Recorded {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  /** When the receiver got it (ms since the epoch). */
  at: number;
}

export type Reply = number | { status: number; body: string; contentType?: string };

/**
 * A local HTTP receiver on 127.0.0.1 that records every request. `respond` decides the
 * answer for each request (default 200): a status, or a status with a body; it sees the
 * 1-based request number.
 */
export async function startReceiver(respond: (n: number, req: Recorded) => Reply = () => 200) {
  const requests: Recorded[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const rec: Recorded = {
        method: req.method ?? "",
        path: req.url ?? "",
        headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
        body: Buffer.concat(chunks).toString("utf8"),
        at: Date.now(),
      };
      requests.push(rec);
      const reply = respond(requests.length, rec);
      const r = typeof reply === "number" ? { status: reply, body: JSON.stringify({ received: requests.length }) } : reply;
      res.statusCode = r.status;
      res.setHeader("content-type", (typeof reply === "object" && reply.contentType) || "application/json");
      res.end(r.body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    stop: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** The typed client (client/index.mjs) for the e2e server, with `token` as bearer. */
export const client = (token = adminToken()) => createSwitchyardClient({ baseUrl: baseUrl(), token });

/** Returns a typed call's data, or throws with the status and the API's message. */
async function must<T>(what: string, pending: Promise<{ data?: T; error?: unknown; response: Response }>): Promise<T> {
  const { data, error, response } = await pending;
  if (!response.ok || data === undefined) throw new Error(`${what}: ${response.status} ${errorMessage(error, response)}`);
  return data;
}

/** Creates an org, workspace, app and an admin API key through the management API (with the typed client). */
export async function setupTenant(name = `e2e-${Date.now()}`) {
  const api = client();
  const org = await must("create org", api.POST("/v1/orgs", { body: { name } }));
  const orgId = org.org_id;
  const ws = await must("create workspace", api.POST("/v1/orgs/{org_id}/workspaces", { params: { path: { org_id: orgId } }, body: { name: "main" } }));
  const workspaceId = ws.workspace_id;
  const app = await must("create app", api.POST("/v1/orgs/{org_id}/workspaces/{workspace_id}/apps", { params: { path: { org_id: orgId, workspace_id: workspaceId } }, body: { name: "app" } }));
  const appId = app.app_id;
  const key = await must("create api key", api.POST("/v1/orgs/{org_id}/api-keys", { params: { path: { org_id: orgId } }, body: { name: "e2e", role: "admin" } }));
  return { orgId, workspaceId, appId, token: key.token, base: `/v1/orgs/${orgId}/workspaces/${workspaceId}/apps/${appId}` };
}
