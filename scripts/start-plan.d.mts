/** Types of scripts/start-plan.mjs. */
export function startPlan(
  env: Record<string, string | undefined>,
  extra: string[],
): { createDevVars: boolean; migrateArgs: string[]; devArgs: string[] };
