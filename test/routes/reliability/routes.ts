/** Enumerates the routes of the served OpenAPI document and fills their path parameters. */
import { api } from "../../fixtures";

export interface Route {
  method: string;
  template: string;
  hasBody: boolean;
}

/** Every (method, path) in /openapi.json, in document order. */
export async function documentedRoutes(): Promise<Route[]> {
  const doc = (await api("GET", "/openapi.json")).body as { paths: Record<string, Record<string, { requestBody?: unknown }>> };
  const out: Route[] = [];
  for (const [template, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      out.push({ method: method.toUpperCase(), template, hasBody: Boolean(op.requestBody) });
    }
  }
  return out;
}

/** Names of path parameters that are not tenant resources. */
const FIXED: Record<string, string> = { provider_id: "github", trigger_id: "on_any_event" };

/**
 * Fills `{name}` placeholders: tenant resources from `ids`, catalog names from FIXED, and
 * `webhook_id` with the trigger id. Returns null when a parameter cannot be filled.
 */
export function fillPath(template: string, ids: Record<string, string>, extra: Record<string, string> = {}): string | null {
  let missing = false;
  const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = extra[name] ?? ids[name] ?? FIXED[name] ?? (name === "webhook_id" ? ids.project_trigger_id : undefined);
    if (v === undefined) missing = true;
    return encodeURIComponent(v ?? "");
  });
  return missing ? null : path;
}

/** True when the path template addresses a tenant's resource by id. */
export const addressesTenant = (template: string) => /\{(?!provider_id|trigger_id\})\w+\}/.test(template);
