import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ZodError } from "zod";
import { AppError, type FullErrorItem } from "../core/errors";

const LOC_BY_TARGET: Record<string, string> = { json: "body", form: "body", param: "path", query: "query", header: "header", cookie: "cookie" };

/**
 * zod issues → FastAPI items. `loc` starts with where the value came from (body, query, path);
 * every item carries `input` (null when zod has none) and `ctx` (the issue's scalar extras, possibly {}).
 */
export function zodIssuesToItems(issues: ZodError["issues"], target: string): FullErrorItem[] {
  return issues.map((i) => {
    const { code, message, path, input, ...rest } = i as ZodError["issues"][number] & { input?: unknown };
    const ctx = Object.fromEntries(Object.entries(rest).filter(([, v]) => typeof v !== "object" || v === null));
    return {
      loc: [LOC_BY_TARGET[target] ?? target, ...path.map((p) => (typeof p === "symbol" ? String(p) : p))],
      msg: message,
      type: code,
      input: input ?? null,
      ctx,
    };
  });
}

/**
 * The REST error mapper, registered once with `app.onError`. Domain errors keep their
 * status and items; anything unknown is logged with its stack and answered with a bare 500
 * that names only the request id.
 */
export function restErrorResponse(err: unknown, c: Context): Response {
  if (err instanceof AppError) return c.json({ detail: err.items }, err.status as 400);
  if (err instanceof HTTPException) {
    const bad = err.status === 400 && /json/i.test(err.message);
    const status = bad ? 422 : err.status;
    const type = bad ? "json_invalid" : "http_error";
    const msg = bad ? "request body is not valid JSON" : err.message || "request refused";
    return c.json({ detail: [{ loc: ["body"], msg, type, input: null, ctx: {} }] }, status);
  }
  const requestId = c.get("requestId") as string | undefined;
  console.error(JSON.stringify({ level: "error", request_id: requestId, error: String(err), stack: (err as Error)?.stack }));
  return c.json({ detail: [{ loc: [], msg: `internal error; quote request id ${requestId ?? "?"} when reporting it`, type: "internal", input: null, ctx: {} }] }, 500);
}
