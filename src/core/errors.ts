/**
 * The one domain error type. Services throw these; each transport maps them once
 * (REST: FastAPI-style `{"detail":[…]}`, unified actions, fleets and GraphQL: their own shapes).
 */
export type ErrorCode =
  | "validation_error"
  | "unauthorized"
  | "forbidden"
  | "not_found"
  | "conflict"
  | "payload_too_large"
  | "invalid_signature"
  | "trigger_disabled"
  | "unsupported_media_type"
  | "rate_limited"
  | "unavailable"
  | "internal";

export const STATUS_BY_CODE: Record<ErrorCode, number> = {
  validation_error: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  payload_too_large: 413,
  invalid_signature: 401,
  trigger_disabled: 409,
  unsupported_media_type: 415,
  rate_limited: 429,
  unavailable: 503,
  internal: 500,
};

/**
 * One FastAPI-style error item as a caller builds it. `loc` names where the problem is,
 * e.g. ["body","name"]; `input` (the offending value) and `ctx` may be left out.
 */
export interface ErrorItem {
  loc: (string | number)[];
  msg: string;
  type: string;
  input?: unknown;
  ctx?: Record<string, unknown>;
}

/** An item as it is answered: `input` is the offending value or null, `ctx` always an object. */
export type FullErrorItem = ErrorItem & { input: unknown; ctx: Record<string, unknown> };

/** Completes an item: a missing `input` becomes null and a missing or non-object `ctx` becomes {}. */
export function fullItem(item: ErrorItem): FullErrorItem {
  const ctx = typeof item.ctx === "object" && item.ctx !== null && !Array.isArray(item.ctx) ? item.ctx : {};
  return { ...item, input: item.input === undefined ? null : item.input, ctx };
}

/**
 * A domain error: a stable code (which fixes the HTTP status) and FastAPI-style items.
 * Every item carries `input` (null when unknown) and `ctx` ({} when empty), whoever built it.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly items: FullErrorItem[];
  constructor(code: ErrorCode, message: string, items?: ErrorItem[]) {
    super(message);
    this.code = code;
    this.items = (items ?? [{ loc: [], msg: message, type: code }]).map(fullItem);
  }
  get status(): number {
    return STATUS_BY_CODE[this.code];
  }
}

/** 404 that never says whether the thing exists in another tenant; `input` is the id asked for, if the caller passes it. */
export const notFound = (what: string, loc: (string | number)[] = ["path"], input: unknown = null) =>
  new AppError("not_found", `${what} not found`, [{ loc, msg: `${what} not found`, type: "not_found", input, ctx: {} }]);

/** 422 for one field. */
export const invalid = (loc: (string | number)[], msg: string, input?: unknown, ctx?: Record<string, unknown>) =>
  new AppError("validation_error", msg, [{ loc, msg, type: "value_error", input, ctx }]);

/** 403: the actor is known but its role is too low. */
export const forbidden = (msg = "your role does not allow this operation") => new AppError("forbidden", msg);
/** 401: no usable credentials. */
export const unauthorized = (msg = "missing or invalid bearer token") => new AppError("unauthorized", msg);
/** 409: the resource is in a state that refuses the call. */
export const conflict = (msg: string) => new AppError("conflict", msg);
