import { forbidden, notFound } from "./errors";

export type Role = "admin" | "editor" | "runner" | "viewer";
export const ROLES: readonly Role[] = ["viewer", "runner", "editor", "admin"] as const;

/**
 * The stable identity of the ADMIN_TOKEN superuser: recorded as `created_by`, `invoked_by`,
 * audit `actor_id` and so on. A fixed UUID (never "admin") so every actor id is a UUID.
 */
export const ADMIN_ACTOR_ID = "00000000-0000-4000-8000-00000000ad01";

/**
 * The stable identity of the system actor (queue consumer, cron, Durable Objects): a fixed
 * UUID distinct from ADMIN_ACTOR_ID.
 */
export const SYSTEM_ACTOR_ID = "00000000-0000-4000-8000-000000005e01";

/** Who is calling. `orgId` is null only for the superuser (ADMIN_TOKEN). */
export interface Actor {
  kind: "superuser" | "api_key" | "user";
  id: string;
  orgId: string | null;
  role: Role;
  /** Set only when a person (not an API token) is calling: templates see it as `user`. */
  user?: { id: string; email: string; name: string };
}

/**
 * Ensures the actor may see `orgId`. Anything else is reported as 404 so that another
 * tenant's ids reveal nothing.
 */
export function assertOrg(actor: Actor, orgId: string, what = "org"): void {
  if (actor.kind === "superuser") return;
  if (actor.orgId !== orgId) throw notFound(what);
}

/** Ensures the actor's role is at least `min` (viewer < runner < editor < admin). */
export function assertRole(actor: Actor, min: Role): void {
  if (actor.kind === "superuser") return;
  if (ROLES.indexOf(actor.role) < ROLES.indexOf(min)) {
    throw forbidden(`role '${actor.role}' cannot do this; it needs '${min}' or higher`);
  }
}
