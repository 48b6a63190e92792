import { createRouter } from "../../http/router";

/** The fleets face. Routes are added in this folder, one file per resource. */
export const fleetsRouter = createRouter();
