/**
 * Test fixtures written straight into D1 (not through the API), so a face's tests do not
 * depend on another face. Every fixture returns the ids and, for API keys, the one-time token.
 */
import { env } from "cloudflare:test";
import type { Role } from "../src/core/actor";
import { encryptSecret, sha256Hex } from "../src/core/crypto";
import { nowIso, uuidv7 } from "../src/core/ids";
import { getDb } from "../src/db/client";
import { apiKeys, apps, connections, endpoints, orgs, workspaces } from "../src/db/schema";
import { sealSecrets } from "../src/services/connection-secrets";
import { mintApiKey } from "../src/services/tokens";

export const ADMIN = (env as unknown as { ADMIN_TOKEN: string }).ADMIN_TOKEN;
export const db = () => getDb(env.DB);

export interface Tenant {
  orgId: string;
  workspaceId: string;
  appId: string;
  /** API key tokens by role. */
  tokens: Record<Role, string>;
}

/** Creates an org with one workspace, one app and one API key per role. */
export async function makeTenant(name = "acme"): Promise<Tenant> {
  const t = nowIso();
  const orgId = uuidv7();
  const workspaceId = uuidv7();
  const appId = uuidv7();
  await db().insert(orgs).values({ orgId, name, createdAt: t, updatedAt: t });
  await db().insert(workspaces).values({ workspaceId, orgId, name: `${name}-ws`, createdAt: t, updatedAt: t });
  await db().insert(apps).values({ appId, orgId, workspaceId, name: `${name}-app`, createdAt: t, updatedAt: t });
  const tokens = {} as Record<Role, string>;
  for (const role of ["admin", "editor", "runner", "viewer"] as const) {
    const k = await mintApiKey();
    await db().insert(apiKeys).values({ keyId: k.keyId, orgId, name: role, role, tokenHash: k.hash, createdAt: t, updatedAt: t });
    tokens[role] = k.token;
  }
  return { orgId, workspaceId, appId, tokens };
}

/** Creates a connection holding `secrets` (encrypted like the API does). */
export async function makeConnection(tenant: Tenant, providerId: string, secrets: Record<string, unknown>): Promise<string> {
  const t = nowIso();
  const connectionId = uuidv7();
  await db().insert(connections).values({
    connectionId,
    orgId: tenant.orgId,
    providerId,
    name: `${providerId}-conn`,
    secretsEnc: await sealSecrets(env.ENCRYPTION_KEY, secrets),
    createdAt: t,
    updatedAt: t,
  });
  return connectionId;
}

/** Creates an endpoint pointing at `url`, optionally with a Standard Webhooks secret. */
export async function makeEndpoint(tenant: Tenant, url: string, opts: { secret?: string; timeoutSeconds?: number; method?: string } = {}): Promise<string> {
  const t = nowIso();
  const endpointId = uuidv7();
  await db().insert(endpoints).values({
    endpointId,
    orgId: tenant.orgId,
    workspaceId: tenant.workspaceId,
    appId: tenant.appId,
    name: "receiver",
    url,
    method: opts.method ?? "POST",
    headers: {},
    secretEnc: opts.secret ? await encryptSecret(env.ENCRYPTION_KEY, opts.secret) : null,
    timeoutSeconds: opts.timeoutSeconds ?? 5,
    createdAt: t,
    updatedAt: t,
  });
  return endpointId;
}

/** fetch against the Worker with a bearer token and a JSON body. */
export async function api(
  method: string,
  path: string,
  opts: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const { SELF } = await import("cloudflare:test");
  const headers: Record<string, string> = { ...(opts.headers ?? {}) };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers["content-type"] = "application/json";
  const res = await SELF.fetch(`http://sy.test${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : typeof opts.body === "string" ? opts.body : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let body: any = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body, headers: res.headers };
}

export { sha256Hex };
