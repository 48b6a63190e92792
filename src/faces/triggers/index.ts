import { createRouter } from "../../http/router";
import { registerDeprecatedRoutes } from "./deprecated";
import { registerProjectTriggerRoutes } from "./project-triggers";
import { registerProviderRoutes } from "./providers";
import { registerWebhookRoutes } from "./webhooks";

/**
 * The triggers face (seed 001): provider catalog, project triggers, webhook ingestion and
 * the deprecated key-in-path endpoints. One file per resource.
 */
export const triggersRouter = createRouter();
registerProviderRoutes(triggersRouter);
registerProjectTriggerRoutes(triggersRouter);
registerWebhookRoutes(triggersRouter);
registerDeprecatedRoutes(triggersRouter);
