import { eq } from "drizzle-orm";
import { hashPassword, verifyPassword } from "../core/crypto";
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

/** The parameters of a token request (form or JSON, plus HTTP Basic client credentials). */
export interface TokenRequest {
  grant_type?: string;
  username?: string;
  password?: string;
  client_id?: string;
  client_secret?: string;
  scope?: string;
}

export interface TokenResponse {
  access_token: string;
  token_type: "bearer";
  expires_in: number;
}

let dummyHash: Promise<string> | undefined;

/**
 * The OAuth2 token endpoint's logic. `password`: username = user email, password →
 * a "user" JWT (templates see `user`). `client_credentials`: client_id = API key id,
 * client_secret = the key's token → an "api_key" JWT with the key's role. Guarantees: an
 * unknown email and a wrong password fail identically (same error, a hash is always checked);
 * revoked keys and keys whose id differs from client_id are refused.
 */
export async function issueToken(env: Env, db: Db, req: TokenRequest): Promise<TokenResponse> {
  const grant = req.grant_type;
  if (!grant) throw new OAuthError("invalid_request", "grant_type is required (password or client_credentials)");
  let token: string;
  if (grant === "password") {
    if (!req.username || !req.password) throw new OAuthError("invalid_request", "username and password are required for grant_type=password");
    const email = req.username.trim().toLowerCase();
    // Unique email spans orgs, so this lookup is global by design.
    const user = (await db.select().from(users).where(eq(users.email, email)).limit(1))[0];
    const ok = await verifyPassword(req.password, user?.passwordHash ?? (await (dummyHash ??= hashPassword("not-a-password"))));
    if (!user || !ok) throw new OAuthError("invalid_grant", "invalid username or password");
    token = await issueJwt(env, { sub: user.userId, org_id: user.orgId, role: user.role, kind: "user", email: user.email, name: user.name });
  } else if (grant === "client_credentials") {
    if (!req.client_id || !req.client_secret) throw new OAuthError("invalid_request", "client_id and client_secret are required for grant_type=client_credentials");
    const actor = await actorFromApiKey(db, req.client_secret);
    if (!actor || actor.id !== req.client_id || !actor.orgId) throw new OAuthError("invalid_client", "unknown client, wrong secret or revoked key");
    token = await issueJwt(env, { sub: actor.id, org_id: actor.orgId, role: actor.role, kind: "api_key" });
  } else {
    throw new OAuthError("unsupported_grant_type", `grant_type '${grant}' is not supported; use password or client_credentials`);
  }
  return { access_token: token, token_type: "bearer", expires_in: TOKEN_TTL_SECONDS };
}
