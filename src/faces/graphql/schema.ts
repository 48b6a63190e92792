import type { GraphQLSchema } from "graphql";

/** The GraphQL contract of seed 000 (custom-action trigger definitions, invoke, poll). */
export const SDL = /* GraphQL */ `
  "Arbitrary JSON value (manualInputs may also be sent as a JSON-encoded string)."
  scalar JSON

  "Identifies an object by id (a global id from this API, or a raw UUID) or alias."
  input IdentifierInput {
    id: ID
    alias: String
  }

  input CustomActionsTriggerInvokeInput {
    triggerDefinition: IdentifierInput!
    targetObject: IdentifierInput
    manualInputs: JSON
  }

  type Query {
    account: Account!
  }

  type Mutation {
    "Invokes an action now. Validation problems are returned in errors[] with triggerEvent null."
    customActionsTriggerInvoke(input: CustomActionsTriggerInvokeInput!): CustomActionsTriggerInvokePayload!
  }

  type Account {
    id: ID!
    customActionsTriggerDefinitions(first: Int, after: String): CustomActionsTriggerDefinitionConnection!
    customActionsTriggerEvent(id: ID!): CustomActionsTriggerEvent
  }

  type PageInfo {
    hasNextPage: Boolean!
    endCursor: String
  }

  type CustomActionsTriggerDefinitionConnection {
    totalCount: Int!
    nodes: [CustomActionsTriggerDefinition!]!
    pageInfo: PageInfo!
  }

  "An action of the account, seen as a custom-action trigger definition."
  type CustomActionsTriggerDefinition {
    id: ID!
    name: String!
    description: String
    entityType: String
    owner: Team
    approvalRequired: Boolean!
    manualInputsSchema: JSON
  }

  type Team {
    id: ID
    name: String
    href: String
  }

  enum CustomActionsTriggerEventStatusEnum {
    PENDING
    PENDING_APPROVAL
    SUCCESS
    FAILURE
  }

  "One invocation of a definition (an execution)."
  type CustomActionsTriggerEvent {
    id: ID!
    status: CustomActionsTriggerEventStatusEnum!
    definition: CustomActionsTriggerDefinition
    createdAt: String!
    updatedAt: String!
  }

  type Error {
    message: String!
    path: [String!]!
  }

  type CustomActionsTriggerInvokePayload {
    triggerEvent: CustomActionsTriggerEvent
    errors: [Error!]!
  }
`;

let schema: GraphQLSchema | undefined;

/**
 * The executable schema, built on first use (never at module load: workerd limits global
 * scope work). graphql itself is imported lazily too, so Worker start-up does not evaluate it.
 */
export async function getSchema(): Promise<GraphQLSchema> {
  if (!schema) {
    const { buildSchema } = await import("graphql/utilities/buildASTSchema.mjs");
    schema = buildSchema(SDL);
  }
  return schema;
}
