import { createRoute, z } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { errorResponses, jsonOk, listOf, PageQuery } from "../../http/schemas";
import { assertRole } from "../../core/actor";
import { createPipeline, findPipeline, listPipelines, toPipelineOut } from "../../services/pipelines";

const StepOut = z.union([z.object({ name: z.string(), action_id: z.string() }), z.object({ name: z.string(), type: z.literal("approval") })]);

/** The pipeline object (`_id` mirrors `pipeline_id`; `createdAt`/`updatedAt` mirror the snake_case stamps). */
export const PipelineOutSchema = z
  .object({
    _id: z.string(),
    pipeline_id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    app_id: z.string(),
    workspace_id: z.string(),
    org_id: z.string(),
    steps: z.array(StepOut),
    variables: z.record(z.string(), z.string()),
    state: z.string().openapi({ description: "idle | running | pending_approval | success | failed | stopped" }),
    current_step: z.number().int().nullable(),
    current_run_id: z.string().nullable(),
    created_at: z.string(),
    updated_at: z.string(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi("Pipeline");

const PipelineInSchema = z
  .object({
    name: z.string().openapi({ example: "Deploy" }),
    description: z.string().nullish(),
    app_id: z.string(),
    steps: z.array(z.object({ name: z.string(), action_id: z.string().optional(), type: z.enum(["action", "approval"]).optional() })).openapi({
      description: "Ordered steps: {name, action_id} runs an action of the app; {name, type:'approval'} waits for approve/reject.",
    }),
    variables: z.record(z.string(), z.string()).nullish().openapi({ description: "Default env for every step's templates (`env`); run overrides win." }),
  })
  .openapi("PipelineIn");

const create = createRoute({
  method: "post",
  path: "/api/v2/pipelines",
  tags: ["Pipelines"],
  summary: "Create Pipeline",
  description: "Creates a pipeline (editor role or higher). Output-only fields in the body (e.g. from a copied pipeline object) are ignored.",
  // Validated by the service (the same checks as `create` through /api/v2/actions), so the raw body is accepted here.
  request: { body: { required: true, content: { "application/json": { schema: PipelineInSchema } } } },
  responses: { 201: jsonOk(PipelineOutSchema, "Created"), ...errorResponses },
});

const list = createRoute({
  method: "get",
  path: "/api/v2/pipelines",
  tags: ["Pipelines"],
  summary: "List Pipelines",
  request: {
    query: PageQuery.extend({
      app_id: z.string().optional().openapi({ description: "Only pipelines of this app" }),
      org_id: z.string().optional().openapi({ description: "Required for the admin token; ignored for org tokens" }),
    }),
  },
  responses: { 200: jsonOk(listOf("pipelines", PipelineOutSchema)), ...errorResponses },
});

const getOne = createRoute({
  method: "get",
  path: "/api/v2/pipelines/{pipeline_id}",
  tags: ["Pipelines"],
  summary: "Get Pipeline",
  description: "The pipeline object (the GET of the documented clone workflow). Viewer role or higher; another org's id is 404.",
  request: { params: z.object({ pipeline_id: z.string() }) },
  responses: { 200: jsonOk(PipelineOutSchema), ...errorResponses },
});

/** `GET/POST /api/v2/pipelines` and `GET /api/v2/pipelines/{pipeline_id}`. */
export function registerPipelineRoutes(router: ReturnType<typeof createRouter>): void {
  router.openapi(
    create,
    async (c) => {
      const ctx = ctxOf(c);
      const out = await createPipeline(ctx, await c.req.json());
      c.set("audit", { orgId: out.org_id, action: "create.pipeline", targetType: "pipeline", targetId: out.pipeline_id });
      return c.json(out, 201);
    },
  );
  router.openapi(list, async (c) => {
    const q = c.req.valid("query");
    const page = await listPipelines(ctxOf(c), q.org_id, q.app_id, { limit: q.limit, cursor: q.cursor });
    return c.json({ total: page.total, has_more: page.has_more, next_cursor: page.next_cursor, pipelines: page.items }, 200);
  });
  router.openapi(getOne, async (c) => {
    const ctx = ctxOf(c);
    const p = await findPipeline(ctx.db, ctx.actor, c.req.valid("param").pipeline_id);
    assertRole(ctx.actor, "viewer");
    return c.json(toPipelineOut(p), 200);
  });
}
