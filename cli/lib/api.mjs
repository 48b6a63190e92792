/**
 * The CLI's one way to talk to Switchyard: the typed client (client/index.mjs) plus `call`,
 * which turns openapi-fetch's `{data, error, response}` into data or an ApiError carrying the
 * API's message and the request id.
 */
import { createSwitchyardClient, errorMessage } from "../../client/index.mjs";
import { resolveSettings } from "./config.mjs";
import { ApiError, UsageError } from "./errors.mjs";
import { withSpinner } from "./output.mjs";

const VERSION = "0.1.0";

/**
 * A client for the effective profile (see lib/config.mjs). Throws UsageError when no server
 * or token is configured, naming the command that fixes it.
 * @param {{profile?: string, org?: string}} opts
 */
export function connect(opts) {
  const s = resolveSettings(opts);
  if (!s.url) throw new UsageError("no server configured: run `switchyard login --url <base> --token <key>` or set SWITCHYARD_URL");
  if (!s.token) throw new UsageError("no token configured: run `switchyard login --url <base> --token <key>` or set SWITCHYARD_TOKEN");
  return { ...s, api: createSwitchyardClient({ baseUrl: s.url, token: s.token, headers: { "user-agent": `switchyard-cli/${VERSION}` } }) };
}

/**
 * Awaits one client call and returns its data. Guarantees: an HTTP error becomes an ApiError
 * with the API's message and x-request-id; a network failure becomes an ApiError naming the
 * server; a success with no body returns `null`.
 * @template T
 * @param {Promise<{data?: T, error?: unknown, response: Response}>} pending
 * @param {string} [label] spinner text for slow calls
 * @returns {Promise<T>}
 */
export async function call(pending, label = "waiting for the server") {
  let res;
  try {
    res = await withSpinner(label, () => pending);
  } catch (err) {
    const cause = err?.cause?.code || err?.cause?.message || err?.message || String(err);
    throw new ApiError(`cannot reach the server: ${cause}`);
  }
  const { data, error, response } = res;
  if (!response.ok) {
    throw new ApiError(errorMessage(error, response), { status: response.status, requestId: response.headers.get("x-request-id"), body: error });
  }
  return data ?? null;
}

/** The org to act in: `--org`, SWITCHYARD_ORG or the profile's; UsageError otherwise. */
export function requireOrg(conn) {
  if (!conn.org) throw new UsageError("no org given: pass --org <org_id> (or log in with an org-scoped key, or set SWITCHYARD_ORG)");
  return conn.org;
}

/**
 * One `/api/v2/actions` call (the unified face) for one target. Guarantee: returns the
 * target's result `{target, ok, status, data}` when ok; throws ApiError with the result's own
 * message and the request id when the target failed (the call itself may answer 200/207).
 */
export async function unified(conn, body) {
  let res;
  try {
    res = await withSpinner("waiting for the server", () => conn.api.POST("/api/v2/actions", { body }));
  } catch (err) {
    throw new ApiError(`cannot reach the server: ${err?.cause?.code || err?.message || String(err)}`);
  }
  const { data, error, response } = res;
  const requestId = response.headers.get("x-request-id");
  if (!response.ok) throw new ApiError(errorMessage(error, response), { status: response.status, requestId, body: error });
  const result = data.results?.[0];
  if (!result?.ok) throw new ApiError(result?.error?.message ?? "the target failed", { status: result?.status, requestId, body: data });
  return { response: data, result };
}
