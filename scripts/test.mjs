#!/usr/bin/env node
// `npm test`: installs what is missing (scripts/bootstrap.mjs, on the Node that invoked npm),
// then runs on the project's Node 24, in order, stopping at the first failure and exiting
// with its code: the Node-side tooling tests (vitest.node.config.ts), the unit and route
// tests inside workerd (vitest.config.ts), and the end-to-end tests against a real
// `npm start` (vitest.e2e.config.ts).
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { bootstrapOrExit, repoRoot } from "./bootstrap.mjs";

const root = repoRoot();
const node = bootstrapOrExit(root);
const vitest = join(root, "node_modules", "vitest", "vitest.mjs");
const suites = [
  ["run", "--config", "vitest.node.config.ts"],
  ["run"],
  ["run", "--config", "vitest.e2e.config.ts", "--passWithNoTests"],
];
for (const args of suites) {
  const res = spawnSync(node, [vitest, ...args], { cwd: root, stdio: "inherit" });
  if (res.status !== 0) process.exit(res.status ?? 1);
}
