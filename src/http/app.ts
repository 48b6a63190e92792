import { actionsRouter } from "../faces/actions";
import { consoleRouter } from "../faces/console";
import { fleetsRouter } from "../faces/fleets";
import { graphqlRouter } from "../faces/graphql";
import { managementRouter } from "../faces/management";
import { mcpRouter } from "../faces/mcp";
import { triggersRouter } from "../faces/triggers";
import { unifiedRouter } from "../faces/unified";
import { AppError } from "../core/errors";
import { docsPage } from "./docs";
import { restErrorResponse } from "./errors";
import { auditTrail, requestId, requireAuth } from "./middleware";
import { createRouter } from "./router";

/** Paths that need a bearer token (MCP included). Webhooks, fleets, OAuth and docs authenticate on their own terms. */
const AUTHENTICATED = ["/v1/orgs", "/v1/orgs/*", "/projects/*", "/triggers", "/triggers/*", "/api/v0/*", "/api/v2/*", "/v1/runs/*", "/mcp"];

/** Builds the whole HTTP surface: every face mounted on one router, one error mapper. */
export function createApp() {
  const app = createRouter();
  app.use("*", requestId);
  app.use("*", auditTrail);
  for (const p of AUTHENTICATED) app.use(p, requireAuth);

  app.route("/", managementRouter);
  app.route("/", triggersRouter);
  app.route("/", actionsRouter);
  app.route("/", unifiedRouter);
  app.route("/", graphqlRouter);
  app.route("/", fleetsRouter);
  app.route("/", consoleRouter);
  app.route("/", mcpRouter);

  app.openAPIRegistry.registerComponent("securitySchemes", "bearer", { type: "http", scheme: "bearer" });
  app.doc31("/openapi.json", {
    openapi: "3.1.0",
    info: { title: "Switchyard", version: "0.1.0", description: "Edge-hosted webhook router" },
    security: [{ bearer: [] }],
  });
  app.get("/docs", docsPage);
  app.get("/healthz", (c) => c.json({ ok: true }));

  app.notFound((c) => {
    const path = new URL(c.req.url).pathname;
    const msg = `no route for ${c.req.method} ${path}`;
    return restErrorResponse(new AppError("not_found", msg, [{ loc: ["path"], msg, type: "not_found", input: path, ctx: { method: c.req.method } }]), c);
  });
  app.onError((err, c) => restErrorResponse(err, c));
  return app;
}
