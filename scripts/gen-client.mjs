#!/usr/bin/env node
/**
 * `npm run gen:client`: regenerates the committed typed client from the real app.
 * It starts the Worker as `npm start` does (wrangler dev, fresh state in a temp dir, random
 * secrets, a free 127.0.0.1 port), reads `/openapi.json`, stops the server, then writes
 * `client/openapi.json` (2-space JSON, trailing newline) and `client/schema.d.ts`
 * (openapi-typescript's output for that document, see client/generate.mjs).
 * With SWITCHYARD_URL set, it reads `/openapi.json` from that server instead of starting one.
 * `npm test` fails when either file is stale (test/routes/contract/client.test.ts, test/node/client.test.ts).
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { generateTypes, openapiText } from "../client/generate.mjs";
import { startDevServer } from "./dev-server.mjs";

const root = join(import.meta.dirname, "..");

async function fetchDocument(base) {
  const res = await fetch(`${base}/openapi.json`);
  if (!res.ok) throw new Error(`${base}/openapi.json answered ${res.status}`);
  return res.json();
}

async function fromFreshServer() {
  const server = await startDevServer({ root });
  try {
    return await fetchDocument(server.baseUrl);
  } finally {
    await server.stop();
  }
}

const doc = process.env.SWITCHYARD_URL ? await fetchDocument(process.env.SWITCHYARD_URL) : await fromFreshServer();
writeFileSync(join(root, "client", "openapi.json"), openapiText(doc));
writeFileSync(join(root, "client", "schema.d.ts"), await generateTypes(doc));
console.log(`client/openapi.json and client/schema.d.ts written (${Object.keys(doc.paths).length} paths)`);
