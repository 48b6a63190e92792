import { readUpTo } from "../../core/streams";
import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import type { AppEnv } from "../../http/router";
import { issueToken, OAuthError, OAuthRateLimited, type TokenRequest } from "../../services/oauth";

/** Largest accepted token request body: 16 KiB (larger: 413 in the RFC 6749 shape). */
export const MAX_TOKEN_BODY_BYTES = 16 * 1024;

const TokenIn = z
  .object({
    grant_type: z.string().optional().openapi({ description: "password | client_credentials" }),
    username: z.string().optional().openapi({ description: "password grant: the user's email" }),
    password: z.string().optional(),
    client_id: z.string().optional().openapi({ description: "client_credentials: the API key id (or HTTP Basic)" }),
    client_secret: z.string().optional().openapi({ description: "client_credentials: the API key token (or HTTP Basic)" }),
    scope: z.string().optional().openapi({ description: "Accepted and ignored: the token carries the user's or key's role" }),
    org_id: z.string().optional().openapi({ description: "password grant: the org to log into when the same email and password match users of several orgs" }),
  })
  .openapi("TokenRequest");
const TokenOut = z.object({ access_token: z.string(), token_type: z.literal("bearer"), expires_in: z.number().int() }).openapi("TokenResponse");
const OAuthErrorOut = z
  .object({ error: z.enum(["invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type"]), error_description: z.string() })
  .openapi("OAuthError");

const token = createRoute({
  method: "post", path: "/v1/oauth/token", tags: ["OAuth2"], summary: "OAuth2 Token Endpoint", security: [],
  description: "RFC 6749 token endpoint. `grant_type=password` (username = email) issues a user token; `grant_type=client_credentials` (client_id = API key id, client_secret = API key token, in the body or HTTP Basic) issues a token with the key's role. The access token is an HS256 JWT, valid for `expires_in` seconds.",
  // A plain reference, not a zod schema: the body is parsed by hand so that every malformed
  // request is answered in the RFC 6749 shape rather than the REST 415/422 shape.
  request: {
    body: {
      required: true,
      content: {
        "application/x-www-form-urlencoded": { schema: { $ref: "#/components/schemas/TokenRequest" } },
        "application/json": { schema: { $ref: "#/components/schemas/TokenRequest" } },
      },
    },
  },
  responses: {
    200: { description: "Token issued", content: { "application/json": { schema: TokenOut } } },
    400: { description: "RFC 6749 §5.2 error", content: { "application/json": { schema: OAuthErrorOut } } },
    413: { description: "Body larger than 16 KiB (`invalid_request`)", content: { "application/json": { schema: OAuthErrorOut } } },
    429: { description: "Too many failed attempts for this username/client_id or address (`invalid_request`); see `Retry-After`", content: { "application/json": { schema: OAuthErrorOut } } },
  },
});

const NO_STORE = { "Cache-Control": "no-store", Pragma: "no-cache" };

/** client_id / client_secret from `Authorization: Basic` (RFC 6749 §2.3.1: form-urlencoded, then base64). */
function basicCredentials(header: string | undefined): Pick<TokenRequest, "client_id" | "client_secret"> {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? "");
  if (!m) return {};
  try {
    const decoded = atob(m[1]!);
    const i = decoded.indexOf(":");
    if (i < 0) return {};
    return { client_id: decodeURIComponent(decoded.slice(0, i)), client_secret: decodeURIComponent(decoded.slice(i + 1)) };
  } catch {
    return {};
  }
}

const oauthError = (c: Context<AppEnv>, error: OAuthError["error"], description: string, status: 400 | 413 | 429 = 400, headers: Record<string, string> = {}) =>
  c.json({ error, error_description: description }, status, { ...NO_STORE, ...headers });

/** The client address the failure limit is kept for: CF-Connecting-IP (set by Cloudflare and by wrangler dev), else one fixed key. */
const clientAddress = (c: Context<AppEnv>): string | null => c.req.header("cf-connecting-ip")?.trim().slice(0, 64) || null;

/** Registers `POST /v1/oauth/token` (authenticates on its own: no bearer token needed). */
export function registerOAuth(r: OpenAPIHono<AppEnv>): void {
  r.openAPIRegistry.register("TokenRequest", TokenIn);
  // Lets /docs "Authorize" with a user's email and password (the triggers document's OAuth2 password flow).
  r.openAPIRegistry.registerComponent("securitySchemes", "oauth2", {
    type: "oauth2",
    flows: { password: { tokenUrl: "/v1/oauth/token", scopes: {} }, clientCredentials: { tokenUrl: "/v1/oauth/token", scopes: {} } },
  });
  r.openapi(token, async (c) => {
    const body = await readBody(c);
    if (body === TOO_LARGE) return oauthError(c, "invalid_request", `the body exceeds ${MAX_TOKEN_BODY_BYTES} bytes`, 413);
    if (typeof body === "string") return oauthError(c, "invalid_request", body);
    const parsed = TokenIn.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return oauthError(c, "invalid_request", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "malformed request"}`);
    }
    const req: TokenRequest = { ...basicCredentials(c.req.header("authorization")), ...stripEmpty(parsed.data) };
    try {
      return c.json(await issueToken(c.env, getDb(c.env.DB), req, clientAddress(c)), 200, NO_STORE);
    } catch (err) {
      if (err instanceof OAuthError) return oauthError(c, err.error, err.description);
      if (err instanceof OAuthRateLimited) {
        return oauthError(c, "invalid_request", `too many failed attempts; retry after ${err.retryAfterSeconds} seconds`, 429, { "Retry-After": String(err.retryAfterSeconds) });
      }
      throw err;
    }
  });
}

const TOO_LARGE = Symbol("too large");

/** The body's bytes, read up to MAX_TOKEN_BODY_BYTES whatever Content-Length says; TOO_LARGE beyond. */
async function readCapped(c: Context<AppEnv>): Promise<Uint8Array | typeof TOO_LARGE> {
  return (await readUpTo(c.req.raw.body, MAX_TOKEN_BODY_BYTES, c.req.header("content-length"))) ?? TOO_LARGE;
}

/** The request parameters as an object, TOO_LARGE, or a description of why the body is unusable. */
async function readBody(c: Context<AppEnv>): Promise<Record<string, unknown> | string | typeof TOO_LARGE> {
  const type = (c.req.header("content-type") ?? "").toLowerCase();
  const bytes = await readCapped(c);
  if (bytes === TOO_LARGE) return TOO_LARGE;
  if (type.startsWith("application/x-www-form-urlencoded") || type.startsWith("multipart/form-data")) {
    try {
      const form = await new Response(bytes, { headers: { "content-type": c.req.header("content-type")! } }).formData();
      const o: Record<string, unknown> = {};
      form.forEach((v, k) => void (o[k] = typeof v === "string" ? v : ""));
      return o;
    } catch {
      return "the form body could not be parsed";
    }
  }
  const text = new TextDecoder().decode(bytes);
  if (type.startsWith("application/json") || (!type && text.trim().startsWith("{"))) {
    try {
      const v: unknown = JSON.parse(text);
      return v && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : "the JSON body must be an object";
    } catch {
      return "the body is not valid JSON";
    }
  }
  if (!type && !text) return {};
  return "send the parameters as application/x-www-form-urlencoded (or JSON)";
}

function stripEmpty(o: Record<string, unknown>): TokenRequest {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === "string" && v !== "")) as TokenRequest;
}
