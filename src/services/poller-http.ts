import { readUpTo } from "../core/streams";
import { outboundProblem } from "../core/outbound-policy";
import { sha256Hex } from "../core/crypto";
import { parseFeed } from "./poller-rss";
import type { Secrets } from "./connection-secrets";

/** One upstream item, ready to become an event: `id` is its dedup key. */
export interface PolledItem {
  id: string;
  /** The item's time (ISO UTC) when the config names a time field (RSS: pubDate), else null. */
  time: string | null;
  data: unknown;
}

/** A polling trigger's config (seed: `{url, items_path, id_field, polling_frequency}`). */
export interface PollConfig {
  url: string;
  /** Dot path to the items array in the JSON response; "" (default) = the response is the array. */
  items_path?: string;
  /** Field holding the item id (dot path). Default: "id". */
  id_field?: string;
  /** Optional field holding the item time (dot path), used to order items and bound the cursor. */
  time_field?: string;
  /** Seconds between polls. Default: 300. */
  polling_frequency?: number;
}

/** Upstream timeout for one poll (all redirect hops together), in seconds. */
export const POLL_TIMEOUT_SECONDS = 15;
/** Largest upstream body read, in bytes: reading stops there and the poll fails (never truncated data). */
export const POLL_MAX_BYTES = 5 * 1024 * 1024;
/** Redirects followed per poll; one more is a poll error. */
export const POLL_MAX_REDIRECTS = 5;
/** Items accepted from one poll; a longer list is a poll error (ask the upstream to page). */
export const POLL_MAX_ITEMS = 1000;
/** Largest item, as JSON bytes: the largest event body (1 MiB, the webhook default MAX_BODY_BYTES). */
export const POLL_MAX_ITEM_BYTES = 1_048_576;
/** Deepest nesting of arrays/objects accepted in a JSON answer. */
export const POLL_MAX_DEPTH = 64;

/** An upstream problem a person can act on; recorded as the trigger's `last_error`. */
export class PollError extends Error {}

/** Reads `a.b.0.c` out of a JSON value; "" returns the value itself. */
export function atPath(value: unknown, path: string | undefined): unknown {
  if (!path) return value;
  let cur: unknown = value;
  for (const key of path.split(".")) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[key];
  }
  return cur;
}

/** Request headers for one hop: the connection's credentials only when `withCredentials`. */
function requestHeaders(secrets: Secrets | null, accept: string, withCredentials: boolean): Headers {
  const h = new Headers({ accept, "user-agent": "Switchyard-Poller/1" });
  if (!withCredentials) return h;
  const extra = secrets?.headers;
  if (extra && typeof extra === "object") {
    for (const [k, v] of Object.entries(extra as Record<string, unknown>)) if (typeof v === "string") h.set(k, v);
  }
  if (typeof secrets?.bearer_token === "string") h.set("authorization", `Bearer ${secrets.bearer_token}`);
  return h;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);

/**
 * GETs `url` following redirects by hand. Guarantees: the outbound policy is checked on the
 * first URL and on every Location before it is fetched; at most POLL_MAX_REDIRECTS redirects;
 * the connection's credentials (bearer and `secrets.headers`) are sent only to the origin of
 * the configured URL. Returns the final non-redirect response; throws PollError otherwise.
 */
async function fetchFollowing(url: string, secrets: Secrets | null, accept: string, allow: string | undefined): Promise<Response> {
  const signal = AbortSignal.timeout(POLL_TIMEOUT_SECONDS * 1000);
  let origin = "";
  let current = url;
  for (let hop = 0; ; hop++) {
    const refused = outboundProblem(current, allow); // also refuses text that is not a URL
    if (refused) throw new PollError(hop === 0 ? refused : `redirect to ${current} refused: ${refused}`);
    if (hop === 0) origin = new URL(current).origin;
    let res: Response;
    try {
      res = await fetch(current, { headers: requestHeaders(secrets, accept, new URL(current).origin === origin), redirect: "manual", signal });
    } catch (err) {
      const e = err as Error;
      throw new PollError(e.name === "TimeoutError" ? `upstream did not answer within ${POLL_TIMEOUT_SECONDS}s` : `upstream unreachable: ${e.message}`);
    }
    if (!REDIRECTS.has(res.status)) return res;
    await res.body?.cancel();
    const location = res.headers.get("location");
    if (!location) throw new PollError(`upstream answered HTTP ${res.status} without a Location header`);
    if (hop >= POLL_MAX_REDIRECTS) throw new PollError(`upstream sent more than ${POLL_MAX_REDIRECTS} redirects (POLL_MAX_REDIRECTS; last from ${current}); point trigger_config.url at the final address`);
    try {
      current = new URL(location, current).href;
    } catch {
      throw new PollError(`upstream redirect Location is not a valid URL`);
    }
  }
}

/** Reads a body as bytes, stopping (and cancelling the stream) once it exceeds `max`. */
async function readLimited(res: Response, max: number): Promise<Uint8Array> {
  const bytes = await readUpTo(res.body, max, res.headers.get("content-length"));
  if (!bytes) throw new PollError(`upstream body exceeds ${max} bytes (POLL_MAX_BYTES); refused, not truncated`);
  return bytes;
}

/**
 * One poll request: policy, manual redirects, byte-limited body. JSON bodies must be valid
 * UTF-8; feeds are decoded leniently (invalid bytes become U+FFFD). Throws PollError.
 */
async function fetchText(url: string, secrets: Secrets | null, accept: string, allow: string | undefined, strictUtf8: boolean): Promise<string> {
  const res = await fetchFollowing(url, secrets, accept, allow);
  if (!res.ok) {
    const head = await readLimited(res, 64 * 1024).catch(() => new Uint8Array(0));
    throw new PollError(`upstream answered HTTP ${res.status}: ${new TextDecoder().decode(head).slice(0, 200)}`);
  }
  const bytes = await readLimited(res, POLL_MAX_BYTES);
  try {
    return new TextDecoder("utf-8", { fatal: strictUtf8, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new PollError("upstream body is not valid UTF-8");
  }
}

/** Throws PollError when `v` nests deeper than POLL_MAX_DEPTH or holds a number JSON cannot carry faithfully. */
function checkJson(v: unknown, depth: number): void {
  if (typeof v === "number") {
    if (!Number.isFinite(v)) throw new PollError("upstream answer holds a number too large for a double (e.g. 1e400)");
    if (Number.isInteger(v) && !Number.isSafeInteger(v)) throw new PollError(`upstream answer holds an integer beyond ±2^53 (${v}), which would lose precision; use a string`);
    return;
  }
  if (v === null || typeof v !== "object") return;
  if (depth > POLL_MAX_DEPTH) throw new PollError(`upstream answer is nested deeper than ${POLL_MAX_DEPTH} levels`);
  for (const x of Array.isArray(v) ? v : Object.values(v)) checkJson(x, depth + 1);
}

/** Parses JSON text; any failure (syntax, depth, stack) is a PollError. */
function parseJson(text: string): unknown {
  // Depth is checked on the text first, so neither JSON.parse nor the walk can recurse without bound.
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92) i++; // backslash: skip the escaped character
      else if (c === 34) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 91 || c === 123) {
      if (++depth > POLL_MAX_DEPTH + 1) throw new PollError(`upstream answer is nested deeper than ${POLL_MAX_DEPTH} levels`);
    } else if (c === 93 || c === 125) depth--;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PollError("upstream answer is not valid JSON");
  }
  checkJson(json, 0);
  return json;
}

const idText = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : typeof v === "number" || typeof v === "bigint" ? String(v) : null);

function timeText(v: unknown): string | null {
  if (typeof v === "number") return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Polls a JSON HTTP upstream once. Guarantees: see fetchFollowing (policy per hop, at most
 * POLL_MAX_REDIRECTS, credentials only to the configured origin) and readLimited
 * (POLL_MAX_BYTES); the connection's `secrets.bearer_token` becomes `Authorization: Bearer …`
 * and `secrets.headers` are sent as given; the array at `items_path` is returned with each
 * item's id read from `id_field` (an item without one gets `sha256:<hash of its JSON>`).
 * Throws PollError — never anything else — on non-2xx, timeout, a body that is not UTF-8 or
 * not JSON, nesting deeper than POLL_MAX_DEPTH, unfaithful numbers, a missing array, an item
 * that is not an object or is larger than POLL_MAX_ITEM_BYTES, more than POLL_MAX_ITEMS items.
 */
export async function pollJson(config: PollConfig, secrets: Secrets | null, allow: string | undefined): Promise<PolledItem[]> {
  const text = await fetchText(config.url, secrets, "application/json", allow, true);
  const json = parseJson(text);
  const list = atPath(json, config.items_path ?? "");
  if (!Array.isArray(list)) {
    throw new PollError(`items_path '${config.items_path ?? ""}' does not point to an array in the upstream answer`);
  }
  if (list.length > POLL_MAX_ITEMS) throw new PollError(`upstream listed ${list.length} items, more than ${POLL_MAX_ITEMS} items per poll (POLL_MAX_ITEMS); page the upstream`);
  const idField = config.id_field || "id";
  const enc = new TextEncoder();
  const out: PolledItem[] = [];
  for (const [n, data] of list.entries()) {
    if (data === null || typeof data !== "object" || Array.isArray(data)) throw new PollError(`item ${n} is not a JSON object`);
    const body = JSON.stringify(data);
    if (enc.encode(body).byteLength > POLL_MAX_ITEM_BYTES) throw new PollError(`item ${n} is larger than ${POLL_MAX_ITEM_BYTES} bytes (the largest event body)`);
    out.push({ id: idText(atPath(data, idField)) ?? `sha256:${await sha256Hex(body)}`, time: config.time_field ? timeText(atPath(data, config.time_field)) : null, data });
  }
  return out;
}

/** Polls an RSS 2.0 / Atom feed once (same fetch guarantees as pollJson); ids are guid/id/link, time is pubDate/published/updated; any parse failure or more than POLL_MAX_ITEMS entries is a PollError. */
export async function pollFeed(config: PollConfig, secrets: Secrets | null, allow: string | undefined): Promise<PolledItem[]> {
  const text = await fetchText(config.url, secrets, "application/rss+xml, application/atom+xml, application/xml, text/xml", allow, false);
  let items;
  try {
    items = parseFeed(text);
  } catch (err) {
    throw new PollError((err as Error).message);
  }
  if (items.length > POLL_MAX_ITEMS) throw new PollError(`feed listed ${items.length} items, more than ${POLL_MAX_ITEMS} items per poll (POLL_MAX_ITEMS)`);
  return items.map((item) => ({ id: item.id, time: item.published, data: item }));
}
