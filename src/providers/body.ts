import { concatBytes } from "./bytes";
import { sha256Hex } from "../core/crypto";
import type { InboundRequest } from "./types";

export { concatBytes };

/** The body parsed by content type: JSON object, form fields (Slack `payload=` forms), or nothing. */
export interface ParsedBody {
  json: Record<string, unknown> | null;
  form: URLSearchParams | null;
  /** Set when the body looked like JSON (or claimed to be) but did not parse. */
  jsonError: string | null;
}

/**
 * Parses a delivery body without throwing. Form bodies (`application/x-www-form-urlencoded`)
 * are exposed as fields; a form `payload` field holding JSON (Slack interactivity, GitHub's
 * form content type) is also exposed as `json`. Anything else is tried as JSON.
 */
export function parseBody(req: InboundRequest): ParsedBody {
  const ct = (req.headers["content-type"] ?? "").toLowerCase();
  if (ct.includes("application/x-www-form-urlencoded")) {
    const form = new URLSearchParams(req.text);
    const payload = form.get("payload");
    const inner = payload ? tryJson(payload) : null;
    return { json: inner && isObject(inner.value) ? inner.value : null, form, jsonError: null };
  }
  if (req.text.trim() === "") return { json: null, form: null, jsonError: ct.includes("json") ? "body is empty" : null };
  const parsed = tryJson(req.text);
  if (!parsed) return { json: null, form: null, jsonError: "body is not valid JSON" };
  return { json: isObject(parsed.value) ? parsed.value : null, form: null, jsonError: isObject(parsed.value) ? null : "body is JSON but not an object" };
}

function tryJson(s: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(s) as unknown };
  } catch {
    return null;
  }
}

/** True for a plain JSON object (not null, not an array). */
export const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A string field or null (numbers are stringified: GitHub installation ids are numbers). */
export function str(v: unknown): string | null {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** `obj.a.b.c` without throwing. */
export function dig(obj: unknown, ...path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (!isObject(cur)) return undefined;
    cur = cur[p];
  }
  return cur;
}

/** Content-addressed dedup key for providers that send no delivery id. */
export async function bodyHashKey(req: InboundRequest): Promise<string> {
  return `sha256:${await sha256Hex(req.raw)}`;
}

/** The first non-empty header among `names` (lower-case). */
export function header(req: InboundRequest, ...names: string[]): string | null {
  for (const n of names) {
    const v = req.headers[n];
    if (v !== undefined && v !== "") return v;
  }
  return null;
}

/**
 * Checks a Unix-seconds timestamp header against `now` with a symmetric window.
 * Returns a person-readable reason or null when inside the window.
 */
export function timestampProblem(name: string, value: string | null, now: Date, windowSeconds = 300): string | null {
  if (!value || !/^\d{1,12}$/.test(value)) return `${name} is missing or not a Unix timestamp in seconds`;
  const skew = Math.abs(now.getTime() / 1000 - Number(value));
  if (skew > windowSeconds) {
    return `${name} is outside the ${windowSeconds / 60}-minute window (${Math.round(skew)} s from server time); the delivery is stale or replayed, or the sender's clock is wrong`;
  }
  return null;
}
