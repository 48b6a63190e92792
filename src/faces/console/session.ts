import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { safeEqual, toHex } from "../../core/crypto";
import type { Env } from "../../env";

/** The console's session cookie (scoped to /console). */
export const SESSION_COOKIE = "sy_console";
/** Longest a console session lives, in seconds (8 hours). A password session also ends with its token (1 hour). */
export const SESSION_TTL_SECONDS = 8 * 3600;
/** Shortest SESSION_SECRET accepted, in characters. */
export const MIN_SECRET_LENGTH = 32;

/**
 * What the encrypted cookie holds: the bearer credential the session acts with (an org API
 * key, or the JWT the password grant issued), when it expires and the per-session CSRF token.
 * The credential is resolved again through `resolveBearer` on every request, so a revoked key
 * or an expired token ends the session at once.
 */
export interface Session {
  /** Random id of this session: signing out records it (services/sessions) so the cookie is refused afterwards. */
  sid: string;
  /** The bearer credential (never shown on a page). */
  token: string;
  /** Expiry, epoch seconds. */
  exp: number;
  /** The CSRF token every state-changing form of this session must carry. */
  csrf: string;
}

/** The console cannot run: SESSION_SECRET is missing or too short. Answered as a 503 page that says how to fix it. */
export class SessionSecretMissing extends Error {
  constructor() {
    super(`SESSION_SECRET is not set (or shorter than ${MIN_SECRET_LENGTH} characters): add it to .dev.vars (see .dev.vars.example), or run 'wrangler secret put SESSION_SECRET' in production`);
  }
}

const keys = new Map<string, Promise<CryptoKey>>();

/** The AES-256-GCM key of the cookie: SHA-256 of a label and SESSION_SECRET (cached per secret). */
function keyOf(env: Env): Promise<CryptoKey> {
  const secret = env.SESSION_SECRET;
  if (!secret || secret.length < MIN_SECRET_LENGTH) throw new SessionSecretMissing();
  let k = keys.get(secret);
  if (!k) {
    k = crypto.subtle
      .digest("SHA-256", new TextEncoder().encode(`switchyard console session v1\n${secret}`))
      .then((raw) => crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]));
    keys.set(secret, k);
  }
  return k;
}

const b64u = (b: Uint8Array) => btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64u = (s: string) => Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0));

/** Encrypts a session (AES-GCM, random 96-bit IV): the cookie value. */
export async function sealSession(env: Env, s: Session): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const ct = new Uint8Array(await crypto.subtle.encrypt({ name: "AES-GCM", iv }, await keyOf(env), new TextEncoder().encode(JSON.stringify(s))));
  const out = new Uint8Array(iv.length + ct.length);
  out.set(iv);
  out.set(ct, iv.length);
  return b64u(out);
}

/**
 * Decrypts a cookie value. Null when it is absent, tampered with, sealed with another secret,
 * malformed or expired (`now` in epoch seconds). Throws SessionSecretMissing when the console
 * has no secret.
 */
export async function openSession(env: Env, value: string | undefined, now = Date.now() / 1000): Promise<Session | null> {
  const key = await keyOf(env);
  if (!value || value.length > 8192) return null;
  try {
    const raw = unb64u(value);
    const pt = await crypto.subtle.decrypt({ name: "AES-GCM", iv: raw.slice(0, 12) }, key, raw.slice(12));
    const s = JSON.parse(new TextDecoder().decode(pt)) as Partial<Session>;
    if (typeof s.sid !== "string" || typeof s.token !== "string" || typeof s.exp !== "number" || typeof s.csrf !== "string" || s.exp <= now) return null;
    return s as Session;
  } catch {
    return null;
  }
}

/** A fresh random token (128 bits, hex): session ids and CSRF tokens. */
export const randomToken = () => toHex(crypto.getRandomValues(new Uint8Array(16)));

/** True when `sent` (a form's `_csrf` field) is this session's token, compared in constant time. */
export const csrfMatches = (s: Session, sent: unknown) => typeof sent === "string" && sent.length === s.csrf.length && safeEqual(sent, s.csrf);

/** Cookies are `Secure` everywhere except plain-HTTP local development on localhost / 127.0.0.1 / [::1]. */
function isLocal(c: Context): boolean {
  const host = new URL(c.req.url).hostname;
  return host === "localhost" || host === "127.0.0.1" || host === "[::1]";
}

/** Sets the session cookie: HttpOnly, SameSite=Lax, Path=/console, Max-Age until `s.exp`, Secure except on localhost. */
export async function startSession<E extends { Bindings: Env }>(c: Context<E>, s: Session): Promise<void> {
  setCookie(c, SESSION_COOKIE, await sealSession(c.env, s), {
    httpOnly: true,
    sameSite: "Lax",
    secure: !isLocal(c),
    path: "/console",
    maxAge: Math.max(0, Math.floor(s.exp - Date.now() / 1000)),
  });
}

/** Clears the session cookie (logout, or a session whose credential stopped resolving). */
export function endSession(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: "/console", secure: !isLocal(c), httpOnly: true, sameSite: "Lax" });
}

/** The request's session, or null (see openSession). */
export const readSession = <E extends { Bindings: Env }>(c: Context<E>) => openSession(c.env, getCookie(c, SESSION_COOKIE));
