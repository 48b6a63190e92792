import type { Db } from "../db/client";
import type { Env } from "../env";
import { SYSTEM_ACTOR_ID, type Actor } from "./actor";

/**
 * What every domain verb receives: the storage, the bindings, who is acting and the
 * request id. Queue consumers and cron build one too, so they pass the same checks as HTTP.
 */
export interface Ctx {
  db: Db;
  env: Env;
  actor: Actor;
  requestId: string;
}

/** The actor used by the queue consumer, cron and Durable Objects (id: SYSTEM_ACTOR_ID, a UUID). */
export const SYSTEM_ACTOR: Actor = { kind: "superuser", id: SYSTEM_ACTOR_ID, orgId: null, role: "admin" };
