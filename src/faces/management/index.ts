import { createRouter } from "../../http/router";

/** The management face. Routes are added in this folder, one file per resource. */
export const managementRouter = createRouter();
