import { decodeJwt } from "jose";
import { getDb } from "../../db/client";
import { issueToken, OAuthError, OAuthRateLimited } from "../../services/oauth";
import { resolveBearer } from "../../services/tokens";
import type { CC } from "./context";
import { Layout, type Flash } from "./layout";
import { endSessionId } from "../../services/sessions";
import { endSession, randomToken, readSession, SESSION_TTL_SECONDS, startSession } from "./session";

/** The sign-in page: an org API key, or the email and password of a user of the org. */
export async function loginPage(c: CC, flash: Flash | null = null, status: 200 | 401 | 403 | 429 = 200) {
  // Reading the session first makes a missing SESSION_SECRET a clear 503 here too.
  await readSession(c);
  const notice = flash ?? (c.req.query("expired") ? { kind: "error" as const, text: "Your session ended (expired or its key was revoked). Sign in again." } : c.req.query("out") ? { kind: "ok" as const, text: "Signed out." } : null);
  return c.html(
    <Layout title="Sign in to Switchyard" flash={notice}>
      <form method="post" action="/console/login" class="stack login">
        <label>
          API key
          <input name="api_key" type="password" autocomplete="off" placeholder="sy_…" />
        </label>
        <fieldset>
          <legend>or a user's email and password</legend>
          <label>
            Email
            <input name="email" type="email" autocomplete="username" />
          </label>
          <label>
            Password
            <input name="password" type="password" autocomplete="current-password" />
          </label>
          <label>
            Org id (only when this email is a user in several orgs)
            <input name="org_id" type="text" />
          </label>
        </fieldset>
        <button type="submit">Sign in</button>
      </form>
    </Layout>,
    status,
  );
}

/**
 * POST sign-in. An API key (or any org bearer token) is checked by `resolveBearer`; the
 * ADMIN_TOKEN is refused (it has no org). Email and password go through the OAuth2 password
 * grant (`issueToken`), with its failure limits, and the session holds the JWT it issued, so it
 * ends when that token expires. The session cookie is set only on success.
 */
export async function loginAction(c: CC) {
  const form = await c.req.parseBody();
  const str = (k: string) => (typeof form[k] === "string" ? (form[k] as string).trim() : "");
  const db = getDb(c.env.DB);
  let token = str("api_key");
  let exp = Math.floor(Date.now() / 1000) + SESSION_TTL_SECONDS;
  if (!token) {
    if (!str("email") || !str("password")) return loginPage(c, { kind: "error", text: "Enter an API key, or an email and a password." }, 401);
    try {
      const issued = await issueToken(c.env, db, { grant_type: "password", username: str("email"), password: form.password as string, org_id: str("org_id") || undefined }, c.req.header("cf-connecting-ip")?.trim().slice(0, 64) || null);
      token = issued.access_token;
      exp = Math.min(exp, decodeJwt(token).exp ?? exp);
    } catch (err) {
      if (err instanceof OAuthRateLimited) return loginPage(c, { kind: "error", text: `Too many failed attempts; try again in ${err.retryAfterSeconds} s.` }, 429);
      if (err instanceof OAuthError) return loginPage(c, { kind: "error", text: err.description }, 401);
      throw err;
    }
  }
  const actor = await resolveBearer(c.env, db, token);
  if (!actor) return loginPage(c, { kind: "error", text: "That API key is not valid (unknown, revoked or mistyped)." }, 401);
  if (!actor.orgId) return loginPage(c, { kind: "error", text: "The admin token has no org; sign in with an API key of an org." }, 403);
  await startSession(c, { sid: randomToken(), token, exp, csrf: randomToken() });
  return c.redirect("/console", 303);
}

/**
 * POST sign-out (the session middleware already checked its CSRF token): records the session
 * as ended, so the same cookie is refused even if it was copied, and clears it.
 */
export async function logoutAction(c: CC) {
  const s = c.get("session");
  await endSessionId(getDb(c.env.DB), s.sid, new Date(s.exp * 1000).toISOString());
  endSession(c);
  return c.redirect("/console/login?out=1", 303);
}
