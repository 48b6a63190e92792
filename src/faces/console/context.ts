import type { Context } from "hono";
import { ROLES, type Actor, type Role } from "../../core/actor";
import type { Ctx } from "../../core/context";
import type { AppEnv } from "../../http/router";
import type { Session } from "./session";

/** The console's Hono env: the app's, plus the session of the signed-in operator. */
export interface ConsoleEnv {
  Bindings: AppEnv["Bindings"];
  Variables: AppEnv["Variables"] & { session: Session; orgId: string };
}
export type CC = Context<ConsoleEnv>;

/** What every signed-in page needs: the domain ctx, the org, the CSRF token and the role test. */
export interface View {
  ctx: Ctx;
  orgId: string;
  csrf: string;
  actor: Actor;
  /** True when the actor's role is at least `min` — decides which write buttons are drawn. */
  can: (min: Role) => boolean;
  who: string;
}

/** The view of a request that passed the session middleware. */
export function viewOf(c: CC): View {
  const ctx = c.get("ctx")!;
  const actor = ctx.actor;
  return {
    ctx,
    orgId: c.get("orgId"),
    csrf: c.get("session").csrf,
    actor,
    can: (min) => ROLES.indexOf(actor.role) >= ROLES.indexOf(min),
    who: `${actor.user?.email || (actor.kind === "api_key" ? "API key" : actor.kind)} · ${actor.role}`,
  };
}
