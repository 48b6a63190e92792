import { createRoute, z } from "@hono/zod-openapi";
import type { DocumentNode } from "graphql";
import { assertRole } from "../../core/actor";
import { AppError } from "../../core/errors";
import { getDb } from "../../db/client";
import { createRouter } from "../../http/router";
import { resolveBearer } from "../../services/tokens";
import { checkLimits, GRAPHQL_LIMITS } from "./limits";
import { rootValue, type GqlContext } from "./resolvers";
import { getSchema } from "./schema";

/** The graphql face (seed 000): `POST /graphql`. */
export const graphqlRouter = createRouter();

const GqlOut = z.object({ data: z.unknown().optional(), errors: z.array(z.object({ message: z.string() }).passthrough()).optional() }).openapi("GraphQLResponse");

const route = createRoute({
  method: "post",
  path: "/graphql",
  tags: ["GraphQL"],
  summary: "GraphQL endpoint",
  description:
    "Body `{query, variables?, operationName?}`. Bearer token required (any API key of the org acts as an administrator; people need the runner role to invoke). Query `account { customActionsTriggerDefinitions … customActionsTriggerEvent(id) … }`, mutation `customActionsTriggerInvoke`.",
  responses: {
    200: { description: "GraphQL result (errors, if any, in `errors`)", content: { "application/json": { schema: GqlOut } } },
    400: { description: "Body is not a GraphQL request", content: { "application/json": { schema: GqlOut } } },
    401: { description: "Missing or invalid bearer token", content: { "application/json": { schema: GqlOut } } },
  },
});

const fail = (message: string) => ({ errors: [{ message }] });

graphqlRouter.openapi(route, async (c) => {
  const m = /^Bearer\s+(\S+)$/i.exec(c.req.header("authorization") ?? "");
  const db = getDb(c.env.DB);
  const actor = m ? await resolveBearer(c.env, db, m[1]!) : null;
  if (!actor) return c.json(fail(m ? "bearer token is invalid, expired or revoked" : "missing Authorization header; send 'Authorization: Bearer <token>'"), 401);
  if (!actor.orgId) return c.json(fail("the GraphQL API acts on one account: use an API key or user token of an org, not the admin token"), 401);

  let body: { query?: unknown; variables?: unknown; operationName?: unknown };
  try {
    body = (await c.req.json()) as typeof body;
  } catch {
    return c.json(fail("request body must be JSON: {query, variables?, operationName?}"), 400);
  }
  if (typeof body?.query !== "string" || !body.query.trim()) return c.json(fail("`query` must be a non-empty string"), 400);
  if (body.variables !== undefined && body.variables !== null && (typeof body.variables !== "object" || Array.isArray(body.variables))) {
    return c.json(fail("`variables` must be an object"), 400);
  }
  // Deep imports, so the bundle holds only what runs here, not all of graphql-js (its utilities).
  const [{ execute }, { parse }, { validate }] = await Promise.all([import("graphql/execution/execute.mjs"), import("graphql/language/parser.mjs"), import("graphql/validation/validate.mjs")]);
  let doc: DocumentNode;
  try {
    doc = parse(body.query, { maxTokens: GRAPHQL_LIMITS.maxTokens });
  } catch (err) {
    return c.json(fail((err as Error).message), 400);
  }
  const opName = typeof body.operationName === "string" ? body.operationName : undefined;
  const overLimit = checkLimits(doc, opName);
  if (overLimit) return c.json(fail(overLimit), 400);
  const isMutation = doc.definitions.some((d) => d.kind === "OperationDefinition" && d.operation === "mutation" && (!opName || d.name?.value === opName));
  if (isMutation && actor.kind === "user") {
    try {
      assertRole(actor, "runner");
    } catch (err) {
      return c.json(fail((err as AppError).message), 200);
    }
  }
  const contextValue: GqlContext = { db, env: c.env, actor: { ...actor, orgId: actor.orgId }, requestId: c.get("requestId") };
  const schema = await getSchema();
  const invalid = validate(schema, doc);
  const result = invalid.length
    ? { errors: invalid, data: undefined }
    : await execute({
        schema,
        document: doc,
        rootValue,
        contextValue,
        variableValues: (body.variables as Record<string, unknown> | null | undefined) ?? undefined,
        operationName: opName,
      });
  // Errors without a path come from graphql-js before execution (variable coercion: a wrong
  // scalar or input shape): client errors, answered as they are and not logged. Resolver
  // failures that are not domain errors are logged, never echoed (no internals leak).
  const errors = result.errors?.map((e) => {
    if (!e.originalError || e.originalError instanceof AppError || !e.path) return e.toJSON();
    console.error(JSON.stringify({ level: "error", request_id: c.get("requestId"), error: String(e.originalError), stack: e.originalError.stack }));
    return { ...e.toJSON(), message: `internal error; quote request id ${c.get("requestId")} when reporting it` };
  });
  // Each invoke writes its own audit row (resolvers.ts). The actor is deliberately not set on
  // the Hono context, so the audit middleware adds no second, aggregate row.
  return c.json({ ...(errors ? { errors } : {}), data: result.data } as z.infer<typeof GqlOut>, 200);
});
