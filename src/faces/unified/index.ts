import { createRouter } from "../../http/router";

/** The unified face. Routes are added in this folder, one file per resource. */
export const unifiedRouter = createRouter();
