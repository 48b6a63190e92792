import type { Context, MiddlewareHandler } from "hono";
import { unauthorized } from "../core/errors";
import type { Ctx } from "../core/context";
import { uuidv7 } from "../core/ids";
import { getDb } from "../db/client";
import { recordAudit } from "../services/audit";
import { resolveBearer } from "../services/tokens";
import type { AppEnv } from "./router";

/** Assigns a request id (honours a well-formed incoming X-Request-Id) and echoes it. */
export const requestId: MiddlewareHandler<AppEnv> = async (c, next) => {
  const incoming = c.req.header("x-request-id");
  const id = incoming && /^[\w.-]{1,64}$/.test(incoming) ? incoming : crypto.randomUUID();
  c.set("requestId", id);
  await next();
  c.res.headers.set("x-request-id", id);
};

/**
 * Requires `Authorization: Bearer <token>` (ADMIN_TOKEN, API key or JWT) and sets the
 * actor and the domain ctx. A missing or invalid token is 401 with a WWW-Authenticate hint.
 */
export const requireAuth: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const m = /^Bearer\s+(\S+)$/i.exec(header);
  const db = getDb(c.env.DB);
  const actor = m ? await resolveBearer(c.env, db, m[1]!) : null;
  if (!actor) {
    c.header("WWW-Authenticate", 'Bearer realm="switchyard"');
    throw unauthorized(
      m ? "bearer token is invalid, expired or revoked" : "missing Authorization header; send 'Authorization: Bearer <token>'",
    );
  }
  c.set("actor", actor);
  c.set("ctx", { db, env: c.env, actor, requestId: c.get("requestId") });
  await next();
};

/** The domain ctx of an authenticated request (set by `requireAuth`). */
export function ctxOf(c: Context<AppEnv>): Ctx {
  const ctx = c.get("ctx");
  if (!ctx) throw unauthorized();
  return ctx;
}

/**
 * Records every non-GET call made by an authenticated actor (management and run control,
 * on every face) after the handler answered: actor, method + route, target, result, status.
 * The record always goes to the caller's own org when the caller has one (an org token or
 * user), so a refused call aimed at another org never writes into that org's log. Only the
 * superuser, who has no org, is recorded under the face's audit note org or the path's `org_id`.
 */
export const auditTrail: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const actor = c.get("actor");
  if (!actor || c.req.method === "GET" || c.req.method === "HEAD") return;
  const note = c.get("audit") ?? {};
  if (note.skip) return;
  const orgId = actor.orgId ?? note.orgId ?? c.req.param("org_id");
  if (!orgId) return;
  const status = c.res.status;
  try {
    await recordAudit(getDb(c.env.DB), {
      auditId: uuidv7(),
      orgId,
      actorType: actor.kind,
      actorId: actor.id,
      action: note.action ?? `${c.req.method} ${c.req.routePath}`,
      targetType: note.targetType ?? c.req.routePath.split("/").filter((p) => p && !p.startsWith(":")).pop() ?? "unknown",
      targetId: note.targetId ?? lastParam(c),
      result: status < 400 ? "success" : "failure",
      statusCode: status,
      requestId: c.get("requestId"),
      details: note.details ?? null,
      createdAt: new Date().toISOString(),
    });
  } catch (err) {
    console.error(JSON.stringify({ level: "error", msg: "audit write failed", error: String(err) }));
  }
};

function lastParam(c: Context<AppEnv>): string | null {
  const params = c.req.param() as Record<string, string>;
  const keys = Object.keys(params);
  return keys.length ? params[keys[keys.length - 1]!]! : null;
}
