import { createRoute, z, type OpenAPIHono } from "@hono/zod-openapi";
import type { Context } from "hono";
import { getDb } from "../../db/client";
import type { AppEnv } from "../../http/router";
import { issueToken, OAuthError, type TokenRequest } from "../../services/oauth";

const TokenIn = z
  .object({
    grant_type: z.string().optional().openapi({ description: "password | client_credentials" }),
    username: z.string().optional().openapi({ description: "password grant: the user's email" }),
    password: z.string().optional(),
    client_id: z.string().optional().openapi({ description: "client_credentials: the API key id (or HTTP Basic)" }),
    client_secret: z.string().optional().openapi({ description: "client_credentials: the API key token (or HTTP Basic)" }),
    scope: z.string().optional().openapi({ description: "Accepted and ignored: the token carries the user's or key's role" }),
  })
  .openapi("TokenRequest");
const TokenOut = z.object({ access_token: z.string(), token_type: z.literal("bearer"), expires_in: z.number().int() }).openapi("TokenResponse");
const OAuthErrorOut = z
  .object({ error: z.enum(["invalid_request", "invalid_client", "invalid_grant", "unsupported_grant_type"]), error_description: z.string() })
  .openapi("OAuthError");

const token = createRoute({
  method: "post", path: "/v1/oauth/token", tags: ["OAuth2"], summary: "OAuth2 Token Endpoint", security: [],
  description: "RFC 6749 token endpoint. `grant_type=password` (username = email) issues a user token; `grant_type=client_credentials` (client_id = API key id, client_secret = API key token, in the body or HTTP Basic) issues a token with the key's role. The access token is an HS256 JWT, valid for `expires_in` seconds.",
  request: {
    body: {
      required: false,
      content: { "application/x-www-form-urlencoded": { schema: TokenIn }, "application/json": { schema: TokenIn } },
    },
  },
  responses: {
    200: { description: "Token issued", content: { "application/json": { schema: TokenOut } } },
    400: { description: "RFC 6749 §5.2 error", content: { "application/json": { schema: OAuthErrorOut } } },
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

const oauthError = (c: Context<AppEnv>, error: OAuthError["error"], description: string) =>
  c.json({ error, error_description: description }, 400, NO_STORE);

/** Registers `POST /v1/oauth/token` (authenticates on its own: no bearer token needed). */
export function registerOAuth(r: OpenAPIHono<AppEnv>): void {
  r.openapi(
    token,
    async (c) => {
      const req: TokenRequest = { ...basicCredentials(c.req.header("authorization")), ...stripEmpty(c.req.valid("json")), ...stripEmpty(c.req.valid("form")) };
      try {
        return c.json(await issueToken(c.env, getDb(c.env.DB), req), 200, NO_STORE);
      } catch (err) {
        if (err instanceof OAuthError) return oauthError(c, err.error, err.description);
        throw err;
      }
    },
    (result, c) => {
      if (!result.success) {
        const issue = result.error.issues[0];
        return oauthError(c, "invalid_request", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "malformed request"}`);
      }
    },
  );
}

function stripEmpty(o: Record<string, unknown>): TokenRequest {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => typeof v === "string" && v !== "")) as TokenRequest;
}
