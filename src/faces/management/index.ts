import { createRouter } from "../../http/router";
import { registerApiKeys } from "./api-keys";
import { registerApps } from "./apps";
import { registerAuditLog } from "./audit-log";
import { registerConnections } from "./connections";
import { registerEndpoints } from "./endpoints";
import { registerEvents } from "./events";
import { registerJobs } from "./jobs";
import { registerMetrics } from "./metrics";
import { registerOAuth } from "./oauth";
import { registerOrgs } from "./orgs";
import { registerOperational } from "./operational";
import { registerRetention } from "./retention";
import { registerUsers } from "./users";
import { registerWorkspaces } from "./workspaces";

/**
 * The management face: orgs, workspaces, apps, endpoints, API keys, users, connections,
 * events, audit log, retention, bulk jobs and the OAuth2 token endpoint. One file per resource registers its routes.
 */
export const managementRouter = createRouter();
registerOrgs(managementRouter);
registerWorkspaces(managementRouter);
registerApps(managementRouter);
registerEndpoints(managementRouter);
registerApiKeys(managementRouter);
registerUsers(managementRouter);
registerConnections(managementRouter);
registerEvents(managementRouter);
registerAuditLog(managementRouter);
registerOAuth(managementRouter);
registerMetrics(managementRouter);
registerRetention(managementRouter);
registerOperational(managementRouter);
registerJobs(managementRouter);
