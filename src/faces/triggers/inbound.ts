import { readUpTo } from "../../core/streams";
import type { Context } from "hono";
import { AppError } from "../../core/errors";
import type { Env } from "../../env";
import type { AppEnv } from "../../http/router";
import type { InboundRequest } from "../../providers/types";
import type { Reply } from "../../services/ingest";

/** Default largest accepted webhook body (1 MiB) when MAX_BODY_BYTES is unset. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

const dec = new TextDecoder();

const tooLarge = (max: number) =>
  new AppError("payload_too_large", `request body is larger than ${max} bytes`, [
    { loc: ["body"], msg: `request body is larger than ${max} bytes (MAX_BODY_BYTES)`, type: "payload_too_large", ctx: { max_bytes: max } },
  ]);

/** MAX_BODY_BYTES as a positive integer, else the default. */
export function maxBodyBytes(env: Env): number {
  const n = Number(env.MAX_BODY_BYTES);
  return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_BODY_BYTES;
}

/**
 * Reads the body as bytes, refusing with 413 when `Content-Length` announces more than `max`
 * or when the bytes actually received exceed it (chunked bodies, lying headers). Stops
 * reading as soon as the limit is crossed.
 */
export async function readBodyLimited(req: Request, max: number): Promise<Uint8Array> {
  const declared = req.headers.get("content-length");
  // Fast path: a declared length within the limit. HTTP framing holds the body to that length
  // (the runtime delivers no more), and the size is checked again after reading.
  if (declared && /^\d+$/.test(declared) && Number(declared) <= max) {
    const bytes = new Uint8Array(await req.arrayBuffer());
    if (bytes.byteLength > max) throw tooLarge(max);
    return bytes;
  }
  const bytes = await readUpTo(req.body, max, declared);
  if (!bytes) throw tooLarge(max);
  return bytes;
}

/** Builds the verifier's view of a request: lower-cased headers, query, raw bytes, UTF-8 text. */
export async function inboundOf(c: Context<AppEnv>): Promise<InboundRequest> {
  const raw = await readBodyLimited(c.req.raw, maxBodyBytes(c.env));
  const headers: Record<string, string> = {};
  c.req.raw.headers.forEach((v, k) => {
    headers[k.toLowerCase()] = v;
  });
  return { headers, query: c.req.query(), raw, text: dec.decode(raw) };
}

/** Turns a service reply into a Response (text/plain echoes are marked nosniff). */
export function toResponse(reply: Reply): Response {
  const headers: Record<string, string> = { "content-type": `${reply.contentType}; charset=utf-8` };
  if (reply.contentType === "text/plain") headers["x-content-type-options"] = "nosniff";
  return new Response(reply.body, { status: reply.status, headers });
}
