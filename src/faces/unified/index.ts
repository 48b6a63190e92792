import { createRouter } from "../../http/router";
import { registerUnifiedActionRoute } from "./actions";
import { registerApprovalRoutes } from "./approvals";
import { registerPipelineRoutes } from "./pipelines";

/** The unified face (seed 002): `POST /api/v2/actions`, `GET/POST /api/v2/pipelines`, and run approvals. */
export const unifiedRouter = createRouter();
registerUnifiedActionRoute(unifiedRouter);
registerPipelineRoutes(unifiedRouter);
registerApprovalRoutes(unifiedRouter);
