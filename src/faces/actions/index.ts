import { createRouter } from "../../http/router";

/** The actions face. Routes are added in this folder, one file per resource. */
export const actionsRouter = createRouter();
