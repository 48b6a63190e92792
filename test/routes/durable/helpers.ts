import { nowIso, uuidv7 } from "../../../src/core/ids";
import { triggers } from "../../../src/db/schema";
import { db, type Tenant } from "../../fixtures";

/** Inserts a trigger row straight into D1 (the triggers face is another area). */
export async function makeTrigger(
  tenant: Tenant,
  opts: { providerId: string; triggerId: string; type: "polling" | "scheduled" | "webhook"; config: Record<string, unknown>; connectionId?: string; status?: "ENABLED" | "DISABLED"; nextDueAt?: string | null },
): Promise<string> {
  const id = uuidv7();
  const t = nowIso();
  await db().insert(triggers).values({
    projectTriggerId: id,
    orgId: tenant.orgId,
    projectId: tenant.appId,
    connectionId: opts.connectionId ?? null,
    providerId: opts.providerId,
    triggerId: opts.triggerId,
    triggerType: opts.type,
    triggerConfig: opts.config,
    status: opts.status ?? "ENABLED",
    nextDueAt: opts.nextDueAt ?? null,
    createdBy: "test",
    createdAt: t,
    updatedAt: t,
  });
  return id;
}

/** Replaces global fetch for one upstream host; other URLs go to the real fetch. */
export function upstreamHandler(host: string, handle: (req: Request) => Response | Promise<Response>) {
  const real = globalThis.fetch;
  return async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    if (new URL(req.url).host === host) return handle(req);
    return real(input, init);
  };
}
