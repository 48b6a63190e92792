import { createRoute, z } from "@hono/zod-openapi";
import { ctxOf } from "../../http/middleware";
import type { createRouter } from "../../http/router";
import { errorResponses, jsonBody, jsonOk } from "../../http/schemas";
import { createTrigger, deleteTrigger, getTestSamples, getTrigger, listOrgTriggers, listProjectTriggers, setTriggerStatus, toTriggerOut } from "../../services/triggers";
import { OrgTriggerOut, ProjectParam, TriggerIdParam, TriggerIn, TriggerOut } from "./schemas";

const tags = ["Triggers"];
const errs = { 401: errorResponses[401], 403: errorResponses[403], 404: errorResponses[404], 422: errorResponses[422] };

/** Project triggers (seed 001): list/create per project, get/delete/enable/disable, org list, test samples. */
export function registerProjectTriggerRoutes(r: ReturnType<typeof createRouter>) {
  r.openapi(
    createRoute({ method: "get", path: "/projects/{project_id}/triggers", tags, summary: "Get Triggers", request: { params: ProjectParam }, responses: { 200: jsonOk(z.array(TriggerOut)), ...errs } }),
    async (c) => c.json(await listProjectTriggers(ctxOf(c), c.req.valid("param").project_id), 200),
  );

  r.openapi(
    createRoute({
      method: "post",
      path: "/projects/{project_id}/triggers",
      tags,
      summary: "Create Trigger",
      description: "Creates a DISABLED trigger; enable it with POST /triggers/{id}/enable.",
      request: { params: ProjectParam, body: jsonBody(TriggerIn) },
      responses: { 201: jsonOk(TriggerOut, "Created"), ...errs },
    }),
    async (c) => {
      const row = await createTrigger(ctxOf(c), c.req.valid("param").project_id, c.req.valid("json"));
      c.set("audit", { orgId: row.orgId, action: "trigger.create", targetType: "trigger", targetId: row.projectTriggerId });
      return c.json(toTriggerOut(row), 201);
    },
  );

  r.openapi(
    createRoute({ method: "get", path: "/triggers/{project_trigger_id}", tags, summary: "Get Trigger", request: { params: TriggerIdParam }, responses: { 200: jsonOk(TriggerOut), ...errs } }),
    async (c) => c.json(await getTrigger(ctxOf(c), c.req.valid("param").project_trigger_id), 200),
  );

  r.openapi(
    createRoute({
      method: "delete",
      path: "/triggers/{project_trigger_id}",
      tags,
      summary: "Delete Trigger",
      request: { params: TriggerIdParam },
      responses: { 204: { description: "No content" }, ...errs },
    }),
    async (c) => {
      const row = await deleteTrigger(ctxOf(c), c.req.valid("param").project_trigger_id);
      c.set("audit", { orgId: row.orgId, action: "trigger.delete", targetType: "trigger", targetId: row.projectTriggerId });
      return c.body(null, 204);
    },
  );

  r.openapi(
    createRoute({
      method: "get",
      path: "/triggers",
      tags,
      summary: "Get Triggers By User Org",
      request: { query: z.object({ org_id: z.string().optional().openapi({ description: "Superuser only: the org to list" }) }) },
      responses: { 200: jsonOk(z.array(OrgTriggerOut)), ...errs },
    }),
    async (c) => c.json(await listOrgTriggers(ctxOf(c), c.req.valid("query").org_id), 200),
  );

  for (const [verb, status] of [
    ["enable", "ENABLED"],
    ["disable", "DISABLED"],
  ] as const) {
    r.openapi(
      createRoute({
        method: "post",
        path: `/triggers/{project_trigger_id}/${verb}`,
        tags,
        summary: `${verb[0]!.toUpperCase()}${verb.slice(1)} Trigger`,
        request: { params: TriggerIdParam },
        responses: { 200: jsonOk(TriggerOut), ...errs },
      }),
      async (c) => {
        const row = await setTriggerStatus(ctxOf(c), c.req.valid("param").project_trigger_id, status);
        c.set("audit", { orgId: row.orgId, action: `trigger.${verb}`, targetType: "trigger", targetId: row.projectTriggerId });
        return c.json(toTriggerOut(row), 200);
      },
    );
  }

  r.openapi(
    createRoute({
      method: "get",
      path: "/api/v0/project-triggers/{project_trigger_id}/test-samples",
      tags,
      summary: "Get Trigger Test Samples",
      request: { params: TriggerIdParam },
      responses: { 200: jsonOk(z.object({ samples: z.array(z.record(z.string(), z.unknown())) })), ...errs },
    }),
    async (c) => c.json(await getTestSamples(ctxOf(c), c.req.valid("param").project_trigger_id), 200),
  );
}

