import { env } from "cloudflare:test";
import { nowIso, uuidv7 } from "../../../src/core/ids";
import { eq } from "drizzle-orm";
import { actions, triggers } from "../../../src/db/schema";
import { handleRunDeliver } from "../../../src/services/delivery";
import { handlePipelineAdvance } from "../../../src/services/pipeline-engine";
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

/** Inserts an action row straight into D1 (defaults: enabled, no approval, empty payload). */
export async function makeAction(
  tenant: Tenant,
  endpointId: string,
  opts: { name?: string; approvalRequired?: boolean; payload?: unknown; manualInputsSchema?: unknown; entityType?: string | null; owner?: unknown; isEnabled?: boolean; appId?: string } = {},
): Promise<string> {
  const id = uuidv7();
  const t = nowIso();
  await db().insert(actions).values({
    actionId: id,
    orgId: tenant.orgId,
    workspaceId: tenant.workspaceId,
    appId: opts.appId ?? tenant.appId,
    endpointId,
    name: opts.name ?? "deploy",
    namespaceId: "ns",
    payload: opts.payload ?? {},
    approvalRequired: opts.approvalRequired ?? false,
    manualInputsSchema: opts.manualInputsSchema ?? null,
    entityType: opts.entityType ?? null,
    owner: opts.owner ?? null,
    isEnabled: opts.isEnabled ?? true,
    createdBy: "test",
    createdAt: t,
    updatedAt: t,
  });
  return id;
}

/** Loads an action row (for startExecution in tests). */
export async function actionRow(actionId: string) {
  return (await db().select().from(actions).where(eq(actions.actionId, actionId)))[0]!;
}

/** Every task body passed to TASKS.send / sendBatch by a spy pair. */
export function sentBodies(send: { mock: { calls: unknown[][] } }, sendBatch?: { mock: { calls: unknown[][] } }): { kind: string; [k: string]: unknown }[] {
  const one = send.mock.calls.map((c) => c[0] as { kind: string });
  const many = (sendBatch?.mock.calls ?? []).flatMap((c) => [...(c[0] as Iterable<{ body: { kind: string } }>)].map((m) => m.body));
  return [...one, ...many];
}

/**
 * Plays the queue for tests that capture TASKS.send: delivers every run.deliver and hands every
 * pipeline.advance to its handler, in order, until no new task was sent. Returns the index after the last task.
 */
export async function drain(send: { mock: { calls: unknown[][] } }, from = 0): Promise<number> {
  let i = from;
  for (;;) {
    const tasks = sentBodies(send).slice(i);
    if (tasks.length === 0) return i;
    i += tasks.length;
    for (const t of tasks) {
      if (t.kind === "run.deliver") await handleRunDeliver(env, t as never);
      if (t.kind === "pipeline.advance") await handlePipelineAdvance(env, t as never);
    }
  }
}
