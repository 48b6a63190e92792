/**
 * Types of the graphql-js ES modules the GraphQL face imports one by one (graphql ships .d.ts
 * beside its .js files only): the same declarations as their .js twins.
 */
declare module "graphql/execution/execute.mjs" {
  export * from "graphql/execution/execute";
}
declare module "graphql/language/parser.mjs" {
  export * from "graphql/language/parser";
}
declare module "graphql/validation/validate.mjs" {
  export * from "graphql/validation/validate";
}
declare module "graphql/utilities/buildASTSchema.mjs" {
  export * from "graphql/utilities/buildASTSchema";
}
