#!/usr/bin/env node
// Copies Swagger UI's browser files from the swagger-ui-dist package into assets/docs/, which
// Workers Static Assets serves (wrangler.toml [assets]), so /docs works without internet.
// wrangler runs this as its custom build ([build] command) before `wrangler dev` and
// `wrangler deploy`; it only copies when a file is missing or differs in size. Plain node:*.
import { copyFileSync, existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const from = join(root, "node_modules", "swagger-ui-dist");
const to = join(root, "assets", "docs");
const FILES = ["swagger-ui.css", "swagger-ui-bundle.js"];

if (!existsSync(from)) {
  console.error("switchyard: node_modules/swagger-ui-dist is missing; run npm ci (/docs will have no assets)");
  process.exit(0);
}
mkdirSync(to, { recursive: true });
for (const f of FILES) {
  const src = join(from, f);
  const dst = join(to, f);
  if (!existsSync(dst) || statSync(dst).size !== statSync(src).size) copyFileSync(src, dst);
}
