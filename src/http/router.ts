import { OpenAPIHono } from "@hono/zod-openapi";
import type { Actor } from "../core/actor";
import type { Ctx } from "../core/context";
import type { Env } from "../env";
import { zodIssuesToItems } from "./errors";

/** What a face may record about itself for the audit log middleware. */
export interface AuditNote {
  orgId?: string;
  action?: string;
  targetType?: string;
  targetId?: string | null;
  details?: unknown;
  /** The face records its own audit rows (MCP: one per tool call), so the middleware writes none. */
  skip?: boolean;
}

export interface AppEnv {
  Bindings: Env;
  Variables: { requestId: string; actor?: Actor; ctx?: Ctx; audit?: AuditNote };
}

/**
 * Every face builds its routes on this router: the shared validation hook turns zod
 * failures into FastAPI-style 422 `{"detail":[{loc,msg,type,input,ctx}]}`.
 */
export function createRouter() {
  return new OpenAPIHono<AppEnv>({
    defaultHook: (result, c) => {
      if (!result.success) {
        return c.json({ detail: zodIssuesToItems(result.error.issues, result.target) }, 422);
      }
    },
  });
}
