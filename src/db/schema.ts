/** The one D1 schema. One module per table under ./tables. */
export * from "./tables/orgs";
export * from "./tables/workspaces";
export * from "./tables/apps";
export * from "./tables/endpoints";
export * from "./tables/api-keys";
export * from "./tables/users";
export * from "./tables/connections";
export * from "./tables/triggers";
export * from "./tables/events";
export * from "./tables/actions";
export * from "./tables/executions";
export * from "./tables/runs";
export * from "./tables/pipelines";
export * from "./tables/pipeline-runs";
export * from "./tables/audit-log";
export * from "./tables/ended-sessions";
export * from "./tables/event-forwards";
