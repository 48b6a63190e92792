/**
 * The typed Switchyard client: openapi-fetch over the committed `paths` types
 * (client/schema.d.ts, generated from /openapi.json by `npm run gen:client`). Plain ESM with
 * JSDoc types, so it runs on Node 20 with no build step; shared by the `switchyard` CLI, the
 * end-to-end tests and users' own scripts.
 *
 *   const api = createSwitchyardClient({ baseUrl, token });
 *   const { data, error, response } = await api.GET("/v1/orgs/{org_id}", { params: { path: { org_id } } });
 */
import createClient from "openapi-fetch";

/** @typedef {import("./schema").paths} paths */
/** @typedef {import("openapi-fetch").Client<paths>} SwitchyardClient */

/**
 * A client for the server at `baseUrl` (trailing slashes ignored) that sends `token` as a
 * bearer token on every request when given. Guarantee: it never throws for an HTTP error
 * status; each call resolves to `{data}` or `{error, response}` (openapi-fetch's contract),
 * and only network failures reject.
 * @param {{ baseUrl: string, token?: string, fetch?: typeof globalThis.fetch, headers?: Record<string, string> }} o
 * @returns {SwitchyardClient}
 */
export function createSwitchyardClient(o) {
  /** @type {Record<string, string>} */
  const headers = { ...(o.headers ?? {}) };
  if (o.token) headers.authorization = `Bearer ${o.token}`;
  return createClient({ baseUrl: o.baseUrl.replace(/\/+$/, ""), headers, ...(o.fetch ? { fetch: o.fetch } : {}) });
}

/**
 * A person-readable message for a failed call: the API's `detail[].msg` joined (with each
 * location), else the status line. Guarantee: never throws, whatever `error` holds.
 * @param {unknown} error the parsed error body
 * @param {Response | undefined} response
 * @returns {string}
 */
export function errorMessage(error, response) {
  const detail = /** @type {any} */ (error)?.detail;
  if (Array.isArray(detail) && detail.length) {
    return detail
      .map((d) => {
        const loc = Array.isArray(d?.loc) && d.loc.length ? `${d.loc.join(".")}: ` : "";
        return `${loc}${String(d?.msg ?? "error")}`;
      })
      .join("; ");
  }
  if (typeof /** @type {any} */ (error)?.error_description === "string") return /** @type {any} */ (error).error_description;
  if (typeof error === "string" && error) return error.slice(0, 500);
  return response ? `HTTP ${response.status} ${response.statusText}`.trim() : "request failed";
}
