import { createRoute } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { errorResponses, jsonOk } from "../../http/schemas";
import { dispatchUnified, UnifiedIn, UnifiedOut } from "./dispatch";

export { MAX_TARGETS, SUPPORTED } from "./dispatch";

const route = createRoute({
  method: "post",
  path: "/api/v2/actions",
  tags: ["Unified actions"],
  summary: "Handle Action Requests",
  description:
    "One endpoint for pipelines and tasks (actions): status, create, update, run, stop for both; reset, delete, approve, reject for pipelines. Batch actions take an array target; update takes one id; reject needs message.",
  request: { body: { required: true, content: { "application/json": { schema: UnifiedIn } } } },
  responses: {
    200: jsonOk(UnifiedOut, "The action was successfully processed (every target succeeded; create included)"),
    207: jsonOk(UnifiedOut, "Some targets succeeded, some failed (see each result)"),
    409: jsonOk(UnifiedOut, "Every target failed with a conflict"),
    ...errorResponses,
  },
});

/** `POST /api/v2/actions`. */
export function registerUnifiedActionRoute(router: ReturnType<typeof createRouter>): void {
  router.openapi(route, async (c) => {
    const { status, out } = await dispatchUnified(ctxOf(c), c.req.valid("json"), (n) => c.set("audit", n));
    return c.json(out, status as 200);
  });
}
