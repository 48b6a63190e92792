import { createRouter } from "../../http/router";
import { registerActionRoutes } from "./actions";
import { registerOrgRunRoutes } from "./org-runs";
import { registerRunRoutes } from "./runs";

/** The actions face (seed 004): action CRUD, enable/disable, trigger, runs. */
export const actionsRouter = createRouter();
registerActionRoutes(actionsRouter);
registerRunRoutes(actionsRouter);
registerOrgRunRoutes(actionsRouter);
