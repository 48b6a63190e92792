import { createRouter } from "../../http/router";

/** The graphql face. Routes are added in this folder, one file per resource. */
export const graphqlRouter = createRouter();
