import { eq } from "drizzle-orm";
import { hashPassword, sha256Hex, verifyPassword } from "../core/crypto";
import { rateLimiterFor } from "../durable/client";
import type { Decision, Policy } from "../durable/rate-limit";
import type { Db } from "../db/client";
import { users } from "../db/schema";
import type { Env } from "../env";
import { actorFromApiKey, issueJwt, TOKEN_TTL_SECONDS } from "./tokens";

/** RFC 6749 §5.2 error codes this endpoint uses. */
export type OAuthErrorCode = "invalid_request" | "invalid_client" | "invalid_grant" | "unsupported_grant_type";

/** A token-endpoint failure, answered as `400 {error, error_description}` (not the REST shape). */
export class OAuthError extends Error {
  constructor(readonly error: OAuthErrorCode, readonly description: string) {
    super(description);
  }
}

/** A caller over a failed-attempt limit: answered 429 with `Retry-After: <seconds>`. */
export class OAuthRateLimited extends Error {
  constructor(readonly retryAfterSeconds: number) {
    super("too many failed attempts; retry later");
  }
}

/** Failed attempts per username (password grant) or client_id: 10 per 15 minutes. */
export const USER_FAILURE_POLICY: Policy = { limit: 10, windowSeconds: 900 };
/** Failed attempts per client address (CF-Connecting-IP): 50 per 15 minutes. */
export const ADDRESS_FAILURE_POLICY: Policy = { limit: 50, windowSeconds: 900 };
/** Users sharing one email (one per org) whose passwords are checked for one password grant. */
export const MAX_LOGIN_CANDIDATES = 10;

/** The parameters of a token request (form or JSON, plus HTTP Basic client credentials). */
export interface TokenRequest {
  grant_type?: string;
  username?: string;
  password?: string;
  client_id?: string;
  client_secret?: string;
  scope?: string;
  /** password grant: which org to log into when the email and password match in several. */
  org_id?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

let dummyHash: Promise<string> | undefined;

type Limits = { user: string; address: string };

async function limiterKeys(req: TokenRequest, clientAddress: string | null): Promise<Limits> {
  const who = req.grant_type === "password" ? `u:${(req.username ?? "").trim().toLowerCase()}` : `c:${req.client_id ?? ""}`;
  return { user: `user:${await sha256Hex(who)}`, address: `ip:${clientAddress ?? "unknown"}` };
}

const step = (env: Env, key: string, op: "check" | "fail", policy: Policy): Promise<Decision> => rateLimiterFor(env, key).rateLimit({ op, policy });

/** Throws OAuthRateLimited when the user or the address is over its failure limit (no hash is computed first). */
async function assertNotBlocked(env: Env, keys: Limits): Promise<void> {
  const [u, a] = await Promise.all([step(env, keys.user, "check", USER_FAILURE_POLICY), step(env, keys.address, "check", ADDRESS_FAILURE_POLICY)]);
  const wait = Math.max(u.allowed ? 0 : u.retryAfterSeconds, a.allowed ? 0 : a.retryAfterSeconds);
  if (wait > 0) throw new OAuthRateLimited(wait);
}

async function countFailure(env: Env, keys: Limits): Promise<void> {
  await Promise.all([step(env, keys.user, "fail", USER_FAILURE_POLICY), step(env, keys.address, "fail", ADDRESS_FAILURE_POLICY)]);
}

/**
 * The OAuth2 token endpoint's logic. `password`: username = user email, password →
 * a "user" JWT (templates see `user`). `client_credentials`: client_id = API key id,
 * client_secret = the key's token → an "api_key" JWT with the key's role. Guarantees: an
 * unknown email and a wrong password fail identically (same error, a hash is always checked);
 * revoked keys and keys whose id differs from client_id are refused; a caller over a
 * failure limit (USER_FAILURE_POLICY per username/client_id, ADDRESS_FAILURE_POLICY per
 * `clientAddress`) gets OAuthRateLimited before any credential is checked; only
 * invalid_grant / invalid_client count as failures, never a correct login.
 */
export async function issueToken(env: Env, db: Db, req: TokenRequest, clientAddress: string | null = null): Promise<TokenResponse> {
  const grant = req.grant_type;
  if (!grant) throw new OAuthError("invalid_request", "grant_type is required (password or client_credentials)");
  if (grant !== "password" && grant !== "client_credentials") {
    throw new OAuthError("unsupported_grant_type", `grant_type '${grant}' is not supported; use password or client_credentials`);
  }
  if (grant === "password" && (!req.username || !req.password)) throw new OAuthError("invalid_request", "username and password are required for grant_type=password");
  if (grant === "client_credentials" && (!req.client_id || !req.client_secret)) throw new OAuthError("invalid_request", "client_id and client_secret are required for grant_type=client_credentials");
  const keys = await limiterKeys(req, clientAddress);
  await assertNotBlocked(env, keys);
  try {
    const token = grant === "password" ? await passwordGrant(env, db, req) : await clientCredentialsGrant(env, db, req);
    return { access_token: token, token_type: "bearer", expires_in: TOKEN_TTL_SECONDS };
  } catch (err) {
    if (err instanceof OAuthError && (err.error === "invalid_grant" || err.error === "invalid_client")) await countFailure(env, keys);
    throw err;
  }
}

/**
 * Emails are unique per org, so one username may name a user in several orgs: each
 * candidate (at most MAX_LOGIN_CANDIDATES, narrowed by `org_id` when given) is verified,
 * and the one whose password matches gets the token. A dummy hash is verified when there
 * is no candidate, so an unknown email costs a hash like a wrong password does.
 */
async function passwordGrant(env: Env, db: Db, req: TokenRequest): Promise<string> {
  const email = req.username!.trim().toLowerCase();
  const rows = await db.select().from(users).where(eq(users.email, email)).orderBy(users.userId).limit(MAX_LOGIN_CANDIDATES);
  const candidates = req.org_id ? rows.filter((r) => r.orgId === req.org_id) : rows;
  const matches: typeof rows = [];
  if (!candidates.length) await verifyPassword(req.password!, await (dummyHash ??= hashPassword("not-a-password")));
  for (const user of candidates) if (await verifyPassword(req.password!, user.passwordHash)) matches.push(user);
  if (!matches.length) throw new OAuthError("invalid_grant", "invalid username or password");
  if (matches.length > 1) throw new OAuthError("invalid_request", "this username and password match users in several orgs; send org_id to choose one");
  const user = matches[0]!;
  return issueJwt(env, { sub: user.userId, org_id: user.orgId, role: user.role, kind: "user", email: user.email, name: user.name });
}

async function clientCredentialsGrant(env: Env, db: Db, req: TokenRequest): Promise<string> {
  const actor = await actorFromApiKey(db, req.client_secret!);
  if (!actor || actor.id !== req.client_id || !actor.orgId) throw new OAuthError("invalid_client", "unknown client, wrong secret or revoked key");
  return issueJwt(env, { sub: actor.id, org_id: actor.orgId, role: actor.role, kind: "api_key" });
}
