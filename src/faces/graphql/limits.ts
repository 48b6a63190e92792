import type { DocumentNode, FragmentDefinitionNode, OperationDefinitionNode, SelectionSetNode } from "graphql";

/**
 * The documented limits of one GraphQL request. A document over any of them is refused
 * before validation and execution (HTTP 400, one entry in `errors[]`).
 */
export const GRAPHQL_LIMITS = {
  /** Lexical tokens in `query` (enforced by the parser). */
  maxTokens: 10_000,
  /** Field nesting of the executed operation, fragments expanded; root fields are depth 1. */
  maxDepth: 10,
  /** Aliased fields in the whole document. */
  maxAliases: 20,
  /** Operation definitions in one document (only the one named by operationName runs). */
  maxOperations: 5,
  /** `customActionsTriggerInvoke` fields in the executed operation, fragments expanded. */
  maxInvokes: 5,
} as const;

/**
 * Checks a parsed document against GRAPHQL_LIMITS. Returns the first violation as a message
 * a person can act on, or null. Pure and cycle-safe (a fragment cycle is left to validation).
 */
export function checkLimits(doc: DocumentNode, operationName?: string): string | null {
  const L = GRAPHQL_LIMITS;
  const ops = doc.definitions.filter((d): d is OperationDefinitionNode => d.kind === "OperationDefinition");
  if (ops.length > L.maxOperations) return `${ops.length} operations exceed the limit of ${L.maxOperations} per document`;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const d of doc.definitions) if (d.kind === "FragmentDefinition") fragments.set(d.name.value, d);

  let aliases = 0;
  const countAliases = (set: SelectionSetNode | undefined) => {
    for (const s of set?.selections ?? []) {
      if (s.kind === "Field" && s.alias) aliases++;
      if (s.kind !== "FragmentSpread") countAliases(s.selectionSet);
    }
  };
  for (const d of doc.definitions) if (d.kind === "OperationDefinition" || d.kind === "FragmentDefinition") countAliases(d.selectionSet);
  if (aliases > L.maxAliases) return `${aliases} aliases exceed the limit of ${L.maxAliases} per document`;

  const op = operationName ? ops.find((o) => o.name?.value === operationName) : ops.length === 1 ? ops[0] : undefined;
  if (!op) return null; // graphql-js reports the missing or ambiguous operation itself
  // Depth and invoke count of a selection set, each fragment computed once (memoized, so a
  // fragment spread many times costs nothing extra); a fragment on its own path counts zero.
  const memo = new Map<string, { depth: number; invokes: number }>();
  const onPath = new Set<string>();
  const measure = (set: SelectionSetNode | undefined): { depth: number; invokes: number } => {
    let depth = 0;
    let invokes = 0;
    for (const s of set?.selections ?? []) {
      let m: { depth: number; invokes: number };
      if (s.kind === "Field") {
        const child = s.selectionSet ? measure(s.selectionSet) : { depth: 0, invokes: 0 };
        m = { depth: child.depth + 1, invokes: child.invokes + (s.name.value === "customActionsTriggerInvoke" ? 1 : 0) };
      } else if (s.kind === "InlineFragment") {
        m = measure(s.selectionSet);
      } else {
        const name = s.name.value;
        const f = fragments.get(name);
        if (!f || onPath.has(name)) continue;
        let known = memo.get(name);
        if (!known) {
          onPath.add(name);
          known = measure(f.selectionSet);
          onPath.delete(name);
          memo.set(name, known);
        }
        m = known;
      }
      depth = Math.max(depth, m.depth);
      invokes += m.invokes;
    }
    return { depth, invokes };
  };
  const { depth, invokes } = measure(op.selectionSet);
  if (depth > L.maxDepth) return `query depth ${depth} exceeds the limit of ${L.maxDepth}`;
  if (invokes > L.maxInvokes) return `${invokes} customActionsTriggerInvoke fields exceed the limit of ${L.maxInvokes} per request`;
  return null;
}
