import { eq } from "drizzle-orm";
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, SignJWT } from "jose";
import { ADMIN_ACTOR_ID, type Actor, type Role } from "../core/actor";
import { safeEqual, sha256Hex, toHex } from "../core/crypto";
import { uuidv7 } from "../core/ids";
import type { Db } from "../db/client";
import { apiKeys } from "../db/schema";
import type { Env } from "../env";

const KEY_PREFIX = "sy_";

/**
 * Mints an API key token `sy_<key_id>_<secret>`. Only `hash` is stored; `token` is shown once.
 * The key id inside the token lets lookup be one indexed read.
 */
export async function mintApiKey(): Promise<{ keyId: string; token: string; hash: string }> {
  const keyId = uuidv7();
  const secret = toHex(crypto.getRandomValues(new Uint8Array(24)));
  const token = `${KEY_PREFIX}${keyId}_${secret}`;
  return { keyId, token, hash: await sha256Hex(token) };
}

/**
 * Resolves an API key token to its actor. Null when malformed, unknown, revoked or the
 * hash differs (compared in constant time).
 */
export async function actorFromApiKey(db: Db, token: string): Promise<Actor | null> {
  const m = /^sy_([0-9a-f-]{36})_[0-9a-f]{48}$/.exec(token);
  if (!m) return null;
  const row = (await db.select().from(apiKeys).where(eq(apiKeys.keyId, m[1]!)).limit(1))[0];
  if (!row || row.revokedAt) return null;
  if (!safeEqual(row.tokenHash, await sha256Hex(token))) return null;
  return { kind: "api_key", id: row.keyId, orgId: row.orgId, role: row.role };
}

const ISSUER = "switchyard";
/** Lifetime of tokens issued by the OAuth2 token endpoint, in seconds. */
export const TOKEN_TTL_SECONDS = 3600;

export interface TokenClaims {
  sub: string;
  org_id: string;
  role: Role;
  kind: "user" | "api_key";
  email?: string;
  name?: string;
}

/** Signs a short-lived HS256 JWT with JWT_SECRET carrying the actor's org and role. */
export async function issueJwt(env: Env, claims: TokenClaims): Promise<string> {
  return new SignJWT({ ...claims })
    .setProtectedHeader({ alg: "HS256", typ: "JWT" })
    .setIssuer(ISSUER)
    .setIssuedAt()
    .setExpirationTime(`${TOKEN_TTL_SECONDS}s`)
    .sign(new TextEncoder().encode(env.JWT_SECRET));
}

/**
 * Algorithms accepted from the external identity provider (JWKS_URL). Pinned: anything else
 * (HS*, none, RS384, PS*, …) is refused before any key is looked up.
 */
export const EXTERNAL_JWT_ALGORITHMS = ["RS256", "ES256"] as const;

let jwks: { url: string; set: ReturnType<typeof createRemoteJWKSet> } | undefined;

/** Our own token: HS256 with JWT_SECRET, issuer `switchyard`, exp required. */
async function verifyOwn(env: Env, token: string): Promise<Actor | null> {
  const { payload } = await jwtVerify(token, new TextEncoder().encode(env.JWT_SECRET), { issuer: ISSUER, algorithms: ["HS256"], requiredClaims: ["exp"] });
  const { sub, org_id, role, kind, email, name } = payload as Partial<TokenClaims>;
  if (typeof sub !== "string" || typeof org_id !== "string" || !isRole(role)) return null;
  if (kind === "api_key") return { kind: "api_key", id: sub, orgId: org_id, role };
  return { kind: "user", id: sub, orgId: org_id, role, user: { id: sub, email: email ?? "", name: name ?? "" } };
}

/**
 * A token of the external identity provider: a pinned algorithm, a key from JWKS_URL, `exp`
 * required, `iss` = JWT_ISSUER and `aud` ∋ JWT_AUDIENCE when those are set. Only `sub`,
 * `org_id`, `role`, `email` and `name` are read; the actor is always a person (kind "user"),
 * whatever `kind` or other claim the provider sends.
 */
async function verifyExternal(env: Env, url: string, token: string): Promise<Actor | null> {
  if (jwks?.url !== url) jwks = { url, set: createRemoteJWKSet(new URL(url)) };
  const { payload } = await jwtVerify(token, jwks.set, {
    algorithms: [...EXTERNAL_JWT_ALGORITHMS],
    requiredClaims: ["exp"],
    ...(env.JWT_ISSUER ? { issuer: env.JWT_ISSUER } : {}),
    ...(env.JWT_AUDIENCE ? { audience: env.JWT_AUDIENCE } : {}),
  });
  const { sub, org_id, role, email, name } = payload as Record<string, unknown>;
  if (typeof sub !== "string" || !sub || typeof org_id !== "string" || !org_id || !isRole(role)) return null;
  const str = (v: unknown) => (typeof v === "string" ? v : "");
  return { kind: "user", id: sub, orgId: org_id, role, user: { id: sub, email: str(email), name: str(name) } };
}

/**
 * Verifies a JWT: HS256 with JWT_SECRET (our own tokens, which may be a user or an API key),
 * or, when JWKS_URL is set, a token of that identity provider (see `verifyExternal`). The
 * header's `alg` only chooses the path; each path pins its own algorithms. Null when
 * invalid, expired, of another algorithm, or missing a required claim.
 */
export async function actorFromJwt(env: Env, token: string): Promise<Actor | null> {
  try {
    const { alg } = decodeProtectedHeader(token);
    if (alg === "HS256") return await verifyOwn(env, token);
    if (env.JWKS_URL && EXTERNAL_JWT_ALGORITHMS.includes(alg as (typeof EXTERNAL_JWT_ALGORITHMS)[number])) return await verifyExternal(env, env.JWKS_URL, token);
    return null;
  } catch {
    return null;
  }
}

const isRole = (r: unknown): r is Role => r === "admin" || r === "editor" || r === "runner" || r === "viewer";

/** Resolves any bearer token (ADMIN_TOKEN, API key, JWT) to an actor, or null. */
export async function resolveBearer(env: Env, db: Db, token: string): Promise<Actor | null> {
  if (env.ADMIN_TOKEN && safeEqual(token, env.ADMIN_TOKEN)) {
    return { kind: "superuser", id: ADMIN_ACTOR_ID, orgId: null, role: "admin" };
  }
  if (token.startsWith(KEY_PREFIX)) return actorFromApiKey(db, token);
  if (token.split(".").length === 3) return actorFromJwt(env, token);
  return null;
}
