import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { AppError } from "../../core/errors";

/** Largest tool result, in characters of its JSON text. Past it, long strings are cut (see `fitResult`). */
export const MAX_RESULT_CHARS = 100_000;
/** The length long strings are cut to when a result is over `MAX_RESULT_CHARS` (then to a tenth of it). */
export const CLAMPED_STRING_CHARS = 4_000;
/** Most keys one object of an oversized answer keeps (e.g. the headers of an event whose sender sent hundreds). */
export const CLAMPED_OBJECT_KEYS = 100;
/** The JSON text copy of a structured answer (for clients without structuredContent) is cut past this. */
export const TEXT_COPY_CHARS = 20_000;
/** Longest refusal message; longer ones (e.g. an argument echoed back) are cut. */
export const ERROR_TEXT_CHARS = 2_000;
/** How much of an event body `get_event` returns per call (characters of its JSON text). */
export const EVENT_BODY_CHARS = 32_000;

/** A structured tool answer: the JSON object, and the paths of strings that were cut, if any. */
export type Structured = Record<string, unknown>;

function clamp(value: unknown, max: number, maxKeys: number, path: string, cut: string[]): unknown {
  if (typeof value === "string") {
    if (value.length <= max) return value;
    cut.push(path || "$");
    return `${value.slice(0, max)}… [cut: ${value.length - max} more characters]`;
  }
  if (Array.isArray(value)) return value.map((v, i) => clamp(v, max, maxKeys, `${path}[${i}]`, cut));
  if (value && typeof value === "object") {
    const entries = Object.entries(value);
    if (entries.length > maxKeys) cut.push(`${path || "$"}{${maxKeys} of ${entries.length} keys}`);
    return Object.fromEntries(entries.slice(0, maxKeys).map(([k, v]) => [k, clamp(v, max, maxKeys, path ? `${path}.${k}` : k, cut)]));
  }
  return value;
}

/**
 * Makes a tool answer fit `MAX_RESULT_CHARS`. Guarantees: an answer that fits is returned
 * unchanged; otherwise every string longer than `CLAMPED_STRING_CHARS` (then a tenth of it)
 * is cut and marked in place, and (last) objects keep their first CLAMPED_OBJECT_KEYS keys;
 * the answer's `truncated` lists the cut paths so a model
 * knows to fetch the one item it needs (`get_run`, `get_event`). An answer that still does
 * not fit is refused with a message asking for a smaller `limit`, never sent oversized.
 */
export function fitResult(out: Structured): Structured {
  if (JSON.stringify(out).length <= MAX_RESULT_CHARS) return out;
  for (const [max, maxKeys] of [[CLAMPED_STRING_CHARS, Infinity], [CLAMPED_STRING_CHARS / 10, Infinity], [CLAMPED_STRING_CHARS / 10, CLAMPED_OBJECT_KEYS]] as const) {
    const cut: string[] = [];
    const clamped = clamp(out, max, maxKeys, "", cut) as Structured;
    const truncated = [...new Set([...((out.truncated as string[] | undefined) ?? []), ...cut])].slice(0, 200);
    const fitted = { ...clamped, truncated };
    if (JSON.stringify(fitted).length <= MAX_RESULT_CHARS) return fitted;
  }
  throw new AppError("validation_error", `the answer is larger than ${MAX_RESULT_CHARS} characters even with long values cut; ask for fewer items (a smaller limit)`);
}

const cutText = (text: string, max: number, note: string) => (text.length <= max ? text : `${text.slice(0, max)}… [${note}]`);

/**
 * A successful tool result: the object as `structuredContent` and, for clients without it,
 * as JSON text (cut past TEXT_COPY_CHARS, saying the whole answer is in structuredContent),
 * so one answer stays near MAX_RESULT_CHARS.
 */
export function okResult(out: Structured, isError = false): CallToolResult {
  const fitted = fitResult(out);
  const text = cutText(JSON.stringify(fitted), TEXT_COPY_CHARS, "cut; the whole answer is in structuredContent");
  return { structuredContent: fitted, content: [{ type: "text", text }], ...(isError ? { isError: true } : {}) };
}

/** A refusal with `message` (cut past ERROR_TEXT_CHARS: it may echo an argument). */
export const refusal = (message: string): CallToolResult => ({ isError: true, content: [{ type: "text", text: cutText(message, ERROR_TEXT_CHARS, "message cut") }] });

/**
 * A refused tool call as a tool result (`isError: true`), never a protocol error. Guarantees:
 * a domain error carries the same message REST gives (then, when there are several, each
 * problem with its location); anything else is logged with its stack and answered only with
 * the request id, so no internals reach the model.
 */
export function errorResult(err: unknown, requestId: string): CallToolResult {
  if (err instanceof AppError) {
    const more = err.items.length > 1 ? err.items.map((i) => `\n- ${i.loc.join(".")}: ${i.msg}`).join("") : "";
    return refusal(`${err.message}${more}`);
  }
  console.error(JSON.stringify({ level: "error", msg: "mcp tool failed", request_id: requestId, error: String(err), stack: err instanceof Error ? err.stack : undefined }));
  return refusal(`internal error; nothing is known to have changed. Quote request id ${requestId} when reporting it`);
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
