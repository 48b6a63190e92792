import { createRoute, z } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { ErrorOut, errorResponses, jsonOk } from "../../http/schemas";
import { decide } from "../../services/approvals";
import { RunOut, toRunOut } from "../actions/schema";

const RunIdParams = z.object({ run_id: z.string().openapi({ description: "The run waiting in pending_approval" }) });
export const DecisionIn = z
  .object({ message: z.string().max(2000).nullish().openapi({ description: "Why; stored as the run's decision_message (rejections end the run with it)" }) })
  .strict()
  .openapi("RunDecisionIn");

const route = (decision: "approve" | "reject") =>
  createRoute({
    method: "post",
    path: `/v1/runs/{run_id}/${decision}`,
    tags: ["Approvals"],
    summary: decision === "approve" ? "Approve Run" : "Reject Run",
    description:
      decision === "approve"
        ? "Releases a run waiting in pending_approval: it is queued for delivery. Editor role or higher. Exactly one decision wins; later ones get 409."
        : "Ends a run waiting in pending_approval with status rejected; it is never delivered. Editor role or higher. Exactly one decision wins; later ones get 409.",
    request: { params: RunIdParams, body: { required: false, content: { "application/json": { schema: DecisionIn } } } },
    responses: { 200: jsonOk(RunOut), 409: { description: "The run was already decided or is not waiting for approval", content: { "application/json": { schema: ErrorOut } } }, ...errorResponses },
  });

/** `POST /v1/runs/{run_id}/approve|reject` — the REST face of the approval state machine. */
export function registerApprovalRoutes(router: ReturnType<typeof createRouter>): void {
  for (const decision of ["approve", "reject"] as const) {
    router.openapi(route(decision), async (c) => {
      const { run_id } = c.req.valid("param");
      const body = (c.req.valid("json") as z.infer<typeof DecisionIn> | undefined) ?? {};
      const ctx = ctxOf(c);
      c.set("audit", { orgId: ctx.actor.orgId ?? undefined, action: `run.${decision}`, targetType: "run", targetId: run_id, details: { message: body.message ?? null } });
      const run = await decide(ctx, run_id, decision, body.message);
      c.set("audit", { orgId: run.orgId, action: `run.${decision}`, targetType: "run", targetId: run_id, details: { message: body.message ?? null } });
      return c.json(toRunOut(run), 200);
    });
  }
}
