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

/** Upstream timeout for one poll, in seconds. */
export const POLL_TIMEOUT_SECONDS = 15;
/** Largest upstream body read, in bytes (bigger answers are refused, not truncated). */
export const POLL_MAX_BYTES = 5 * 1024 * 1024;

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

function requestHeaders(secrets: Secrets | null, accept: string): Headers {
  const h = new Headers({ accept, "user-agent": "Switchyard-Poller/1" });
  const extra = secrets?.headers;
  if (extra && typeof extra === "object") {
    for (const [k, v] of Object.entries(extra as Record<string, unknown>)) if (typeof v === "string") h.set(k, v);
  }
  if (typeof secrets?.bearer_token === "string") h.set("authorization", `Bearer ${secrets.bearer_token}`);
  return h;
}

async function fetchText(url: string, secrets: Secrets | null, accept: string, allow: string | undefined): Promise<string> {
  const refused = outboundProblem(url, allow);
  if (refused) throw new PollError(refused);
  let res: Response;
  try {
    res = await fetch(url, { headers: requestHeaders(secrets, accept), signal: AbortSignal.timeout(POLL_TIMEOUT_SECONDS * 1000) });
  } catch (err) {
    const e = err as Error;
    throw new PollError(e.name === "TimeoutError" ? `upstream did not answer within ${POLL_TIMEOUT_SECONDS}s` : `upstream unreachable: ${e.message}`);
  }
  const body = await res.text();
  if (!res.ok) throw new PollError(`upstream answered HTTP ${res.status}: ${body.slice(0, 200)}`);
  if (body.length > POLL_MAX_BYTES) throw new PollError(`upstream body exceeds ${POLL_MAX_BYTES} bytes`);
  return body;
}

const idText = (v: unknown): string | null => (typeof v === "string" && v !== "" ? v : typeof v === "number" || typeof v === "bigint" ? String(v) : null);

function timeText(v: unknown): string | null {
  if (typeof v === "number") return new Date(v < 1e12 ? v * 1000 : v).toISOString();
  if (typeof v !== "string") return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/**
 * Polls a JSON HTTP upstream once. Guarantees: the outbound policy is applied; the
 * connection's `secrets.bearer_token` becomes `Authorization: Bearer …` and `secrets.headers`
 * are sent as given; the array at `items_path` is returned with each item's id read from
 * `id_field` (an item without one gets `sha256:<hash of its JSON>`, a stable content id);
 * throws PollError on non-2xx, timeout, non-JSON or a missing array.
 */
export async function pollJson(config: PollConfig, secrets: Secrets | null, allow: string | undefined): Promise<PolledItem[]> {
  const text = await fetchText(config.url, secrets, "application/json", allow);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PollError("upstream answer is not valid JSON");
  }
  const list = atPath(json, config.items_path ?? "");
  if (!Array.isArray(list)) {
    throw new PollError(`items_path '${config.items_path ?? ""}' does not point to an array in the upstream answer`);
  }
  const idField = config.id_field || "id";
  return Promise.all(
    list.map(async (data) => ({
      id: idText(atPath(data, idField)) ?? `sha256:${await sha256Hex(JSON.stringify(data))}`,
      time: config.time_field ? timeText(atPath(data, config.time_field)) : null,
      data,
    })),
  );
}

/** Polls an RSS 2.0 / Atom feed once; ids are guid/id/link, time is pubDate/published/updated. */
export async function pollFeed(config: PollConfig, secrets: Secrets | null, allow: string | undefined): Promise<PolledItem[]> {
  const text = await fetchText(config.url, secrets, "application/rss+xml, application/atom+xml, application/xml, text/xml", allow);
  try {
    return parseFeed(text).map((item) => ({ id: item.id, time: item.published, data: item }));
  } catch (err) {
    throw new PollError((err as Error).message);
  }
}
