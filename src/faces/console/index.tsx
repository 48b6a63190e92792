import { Hono } from "hono";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { AppError } from "../../core/errors";
import { getDb } from "../../db/client";
import { isSessionEnded } from "../../services/sessions";
import { resolveBearer } from "../../services/tokens";
import { actionPage, actionsPage, runActionNow } from "./actions";
import { approvalsPage, decideAction } from "./approvals";
import type { CC, ConsoleEnv } from "./context";
import { endpointsPage, endpointStateAction } from "./endpoints";
import { eventPage, replayAction } from "./event";
import { eventsPage } from "./events";
import { Layout } from "./layout";
import { loginAction, loginPage, logoutAction } from "./login";
import { overviewPage } from "./overview";
import { pipelineAction, pipelinesPage } from "./pipelines";
import { retryAction, runPage } from "./run";
import { runsPage } from "./runs";
import { csrfMatches, endSession, readSession, SessionSecretMissing } from "./session";
import { createTriggerAction, triggersPage, triggerStatusAction } from "./triggers";

/** A page that explains an error (the console's error shape: HTML, the same status codes as REST). */
function problem(c: CC, status: number, title: string, text: string) {
  return c.html(
    <Layout title={title} flash={{ kind: "error", text }}>
      <p>
        <a href="/console">Back to the console</a>
      </p>
    </Layout>,
    status as 400,
  );
}

/**
 * The operator console: server-rendered pages under /console over the same services as REST.
 * Every /console request except the sign-in page needs a session whose credential still
 * resolves; every POST must come from the console's own origin (hono/csrf: Origin or
 * Sec-Fetch-Site) and carry the session's CSRF token. Roles and tenancy are the services'.
 */
export const consoleRouter = new Hono<ConsoleEnv>();

consoleRouter.get("/", (c) => c.redirect("/console", 302));
// "/console/*" also matches "/console" itself.
consoleRouter.use("/console/*", csrf());
consoleRouter.get("/console/login", (c) => loginPage(c));
consoleRouter.post("/console/login", loginAction);

/** The session gate: a valid cookie, a credential that still resolves to an org actor, and on POST the CSRF token. */
const session = async (c: CC, next: () => Promise<void>) => {
  const s = await readSession(c);
  if (!s) return c.redirect("/console/login", 303);
  const db = getDb(c.env.DB);
  const [actor, ended] = await Promise.all([resolveBearer(c.env, db, s.token), isSessionEnded(db, s.sid)]);
  if (!actor?.orgId || ended) {
    endSession(c);
    return c.redirect("/console/login?expired=1", 303);
  }
  if (c.req.method === "POST" && !csrfMatches(s, (await c.req.parseBody())._csrf)) {
    return problem(c, 403, "Form refused", "This form's CSRF token is missing or does not belong to your session. Reload the page and try again.");
  }
  c.set("session", s);
  c.set("orgId", actor.orgId);
  c.set("actor", actor);
  c.set("ctx", { db, env: c.env, actor, requestId: c.get("requestId") });
  await next();
};
consoleRouter.use("/console/*", session);

consoleRouter.post("/console/logout", logoutAction);
consoleRouter.get("/console", overviewPage);
consoleRouter.get("/console/overview", (c) => c.redirect("/console", 302));
consoleRouter.get("/console/", (c) => c.redirect("/console", 302));
consoleRouter.get("/console/events", eventsPage);
consoleRouter.get("/console/events/:event_id", eventPage);
consoleRouter.post("/console/events/:event_id/replay", replayAction);
consoleRouter.get("/console/runs", runsPage);
consoleRouter.get("/console/runs/:run_id", runPage);
consoleRouter.post("/console/runs/:run_id/retry", retryAction);
consoleRouter.get("/console/approvals", (c) => approvalsPage(c));
consoleRouter.post("/console/approvals/runs/:id", (c) => decideAction(c, "runs"));
consoleRouter.post("/console/approvals/gates/:id", (c) => decideAction(c, "gates"));
consoleRouter.get("/console/triggers", triggersPage);
consoleRouter.post("/console/triggers", createTriggerAction);
consoleRouter.post("/console/triggers/:trigger_id/enable", (c) => triggerStatusAction(c, "ENABLED"));
consoleRouter.post("/console/triggers/:trigger_id/disable", (c) => triggerStatusAction(c, "DISABLED"));
consoleRouter.get("/console/actions", actionsPage);
consoleRouter.get("/console/actions/:action_id", actionPage);
consoleRouter.post("/console/actions/:action_id/run", runActionNow);
consoleRouter.get("/console/pipelines", pipelinesPage);
consoleRouter.post("/console/pipelines/:pipeline_id/:op{run|stop|reset|approve|reject}", pipelineAction);
consoleRouter.get("/console/endpoints", endpointsPage);
consoleRouter.post("/console/endpoints/:endpoint_id/:op{enable|disable}", (c) => endpointStateAction(c, c.req.param("op") as "enable" | "disable"));
consoleRouter.all("/console/*", (c) => problem(c, 404, "Not found", "There is no console page here."));

consoleRouter.onError((err, c) => {
  if (err instanceof SessionSecretMissing) return problem(c, 503, "Console not configured", err.message);
  if (err instanceof AppError) {
    const title = err.status === 404 ? "Not found" : err.status === 403 ? "Not allowed" : err.status === 409 ? "Conflict" : err.status === 422 ? "Invalid input" : "Refused";
    return problem(c, err.status, title, err.message);
  }
  if (err instanceof HTTPException) {
    if (err.status === 403) return problem(c, 403, "Form refused", "Cross-site form submissions are refused: submit the console's forms from the console itself.");
    return problem(c, err.status, "Refused", "The request could not be read; submit the console's form again.");
  }
  const id = c.get("requestId");
  console.error(JSON.stringify({ level: "error", face: "console", request_id: id, error: String(err), stack: (err as Error)?.stack }));
  return problem(c, 500, "Something went wrong", `Internal error; quote request id ${id ?? "?"} when reporting it.`);
});
