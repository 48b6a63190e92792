import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { AppError } from "../../core/errors";

/** Largest tool result, in characters of its JSON text. Past it, long strings are cut (see `fitResult`). */
export const MAX_RESULT_CHARS = 100_000;
/** The length long strings are cut to when a result is over `MAX_RESULT_CHARS` (then to a tenth of it). */
export const CLAMPED_STRING_CHARS = 4_000;
/** How much of an event body `get_event` returns per call (characters of its JSON text). */
export const EVENT_BODY_CHARS = 32_000;

/** A structured tool answer: the JSON object, and the paths of strings that were cut, if any. */
export type Structured = Record<string, unknown>;

function clampStrings(value: unknown, max: number, path: string, cut: string[]): unknown {
  if (typeof value === "string") {
    if (value.length <= max) return value;
    cut.push(path || "$");
    return `${value.slice(0, max)}… [cut: ${value.length - max} more characters]`;
  }
  if (Array.isArray(value)) return value.map((v, i) => clampStrings(v, max, `${path}[${i}]`, cut));
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, clampStrings(v, max, path ? `${path}.${k}` : k, cut)]));
  }
  return value;
}

/**
 * Makes a tool answer fit `MAX_RESULT_CHARS`. Guarantees: an answer that fits is returned
 * unchanged; otherwise every string longer than `CLAMPED_STRING_CHARS` (then a tenth of it)
 * is cut and marked in place, and the answer's `truncated` lists the cut paths so a model
 * knows to fetch the one item it needs (`get_run`, `get_event`). An answer that still does
 * not fit is refused with a message asking for a smaller `limit`, never sent oversized.
 */
export function fitResult(out: Structured): Structured {
  if (JSON.stringify(out).length <= MAX_RESULT_CHARS) return out;
  for (const max of [CLAMPED_STRING_CHARS, CLAMPED_STRING_CHARS / 10]) {
    const cut: string[] = [];
    const clamped = clampStrings(out, max, "", cut) as Structured;
    const truncated = [...new Set([...((out.truncated as string[] | undefined) ?? []), ...cut])].slice(0, 200);
    const fitted = { ...clamped, truncated };
    if (JSON.stringify(fitted).length <= MAX_RESULT_CHARS) return fitted;
  }
  throw new AppError("validation_error", `the answer is larger than ${MAX_RESULT_CHARS} characters even with long values cut; ask for fewer items (a smaller limit)`);
}

/** A successful tool result: the object as `structuredContent` and, for clients without it, as JSON text. */
export function okResult(out: Structured, isError = false): CallToolResult {
  const fitted = fitResult(out);
  return { structuredContent: fitted, content: [{ type: "text", text: JSON.stringify(fitted) }], ...(isError ? { isError: true } : {}) };
}

/**
 * A refused tool call as a tool result (`isError: true`), never a protocol error. Guarantees:
 * a domain error carries the same message REST gives (then, when there are several, each
 * problem with its location); anything else is logged with its stack and answered only with
 * the request id, so no internals reach the model.
 */
export function errorResult(err: unknown, requestId: string): CallToolResult {
  if (err instanceof AppError) {
    const more = err.items.length > 1 ? err.items.map((i) => `\n- ${i.loc.join(".")}: ${i.msg}`).join("") : "";
    return { isError: true, content: [{ type: "text", text: `${err.message}${more}` }] };
  }
  console.error(JSON.stringify({ level: "error", msg: "mcp tool failed", request_id: requestId, error: String(err), stack: err instanceof Error ? err.stack : undefined }));
  return { isError: true, content: [{ type: "text", text: `internal error; nothing is known to have changed. Quote request id ${requestId} when reporting it` }] };
}

/**
 * One page of an event body's JSON text, for `get_event`. Guarantees: a body whose text fits
 * `EVENT_BODY_CHARS` (asked from offset 0) is returned as stored (parsed JSON or raw string)
 * with `body_truncated: false`; a longer one is returned as a slice of its text with
 * `body_truncated: true`, its total length and the `next_body_offset` to ask for (null at the end).
 */
export function bodyPage(body: unknown, offset: number) {
  const text = typeof body === "string" ? body : JSON.stringify(body) ?? "null";
  if (offset === 0 && text.length <= EVENT_BODY_CHARS) {
    return { body, body_truncated: false, body_total_chars: text.length, body_offset: 0, next_body_offset: null };
  }
  const start = Math.min(offset, text.length);
  const end = Math.min(start + EVENT_BODY_CHARS, text.length);
  return { body: text.slice(start, end), body_truncated: true, body_total_chars: text.length, body_offset: start, next_body_offset: end < text.length ? end : null };
}
