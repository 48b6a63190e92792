import { createRouter } from "../../http/router";

/** The triggers face. Routes are added in this folder, one file per resource. */
export const triggersRouter = createRouter();
