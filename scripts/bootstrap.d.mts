/** Types of scripts/bootstrap.mjs (plain JS so it runs on Node 20 before anything is installed). */
export interface InstallFacts {
  nodeModules: boolean;
  installedMtimeMs: number | undefined;
  lockfileMtimeMs: number | undefined;
  projectNode: boolean;
  sameContent: () => boolean;
}
export function projectNodePath(root: string): string;
export function recordMatchesLockfile(lock: unknown, hidden: unknown): boolean;
export function inspect(root: string): InstallFacts;
export function installReason(facts: InstallFacts): string | null;
export function ensureInstalled(root: string, opts?: { log?: (line: string) => void; install?: (root: string) => void }): string;
export function repoRoot(): string;
export function bootstrapOrExit(root?: string): string;
