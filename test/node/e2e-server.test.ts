/**
 * The e2e harness never depends on the developer's .dev.vars: it hands `npm start` its own
 * vars file with every variable the Worker reads, and `npm start` then makes wrangler load
 * only that file. Checked against the lists a developer would edit (.dev.vars.example and
 * wrangler.toml [vars]), so a new variable there without one here fails this test.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startPlan } from "../../scripts/start-plan.mjs";
import { e2eLaunch, e2eVars, writeVarsFile } from "../e2e/global-setup";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Names assigned in a KEY=VALUE file, ignoring comments. */
const namesIn = (text: string) => [...text.matchAll(/^\s*([A-Z0-9_]+)\s*=/gm)].map((m) => m[1]!);

/** Names under [vars] in wrangler.toml (up to the next table). */
function tomlVars(): string[] {
  const toml = readFileSync("wrangler.toml", "utf8");
  const section = /^\[vars\]\s*$([\s\S]*?)(?=^\[|(?![\s\S]))/m.exec(toml);
  return section ? namesIn(section[1]!) : [];
}

describe("e2e harness server config", () => {
  it("sets every variable of .dev.vars.example and wrangler.toml [vars] itself, with outbound loopback allowed", () => {
    const vars = e2eVars();
    const needed = [...namesIn(readFileSync(".dev.vars.example", "utf8")), ...tomlVars()];
    expect(needed).toEqual(expect.arrayContaining(["ADMIN_TOKEN", "ENCRYPTION_KEY", "JWT_SECRET", "OUTBOUND_ALLOW", "MAX_BODY_BYTES"]));
    for (const name of needed) expect(vars, name).toHaveProperty(name);
    expect(vars.OUTBOUND_ALLOW).toBe("loopback");
    expect(Buffer.from(vars.ENCRYPTION_KEY!, "base64")).toHaveLength(32);
    expect(vars.ADMIN_TOKEN).not.toBe("dev-admin-token");
  });

  it("writes the vars to a file that round-trips, readable only by the owner", () => {
    const dir = mkdtempSync(join(tmpdir(), "switchyard-e2e-vars-"));
    dirs.push(dir);
    const vars = e2eVars();
    const file = writeVarsFile(dir, vars);
    const text = readFileSync(file, "utf8");
    const parsed = Object.fromEntries([...text.matchAll(/^([A-Z0-9_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(parsed).toEqual(vars);
  });

  it("launches npm start with its vars file, and overrides a developer environment that would widen it", () => {
    const hostile = { CLOUDFLARE_INCLUDE_PROCESS_ENV: "true", CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "false", SWITCHYARD_VARS_FILE: "/elsewhere" };
    const launch = e2eLaunch({ root: "/repo", port: 4321, stateDir: "/state", varsFile: "/state/e2e.vars", env: hostile });
    expect(launch.args).toEqual(["/repo/scripts/start.mjs"]);
    expect(launch.env).toMatchObject({
      PORT: "4321",
      SWITCHYARD_STATE_DIR: "/state",
      SWITCHYARD_VARS_FILE: "/state/e2e.vars",
      CLOUDFLARE_INCLUDE_PROCESS_ENV: "false",
      CLOUDFLARE_LOAD_DEV_VARS_FROM_DOT_ENV: "true",
    });
  });

  it("npm start given that environment loads only the vars file (wrangler --env-file skips .dev.vars) and creates no .dev.vars", () => {
    const launch = e2eLaunch({ root: "/repo", port: 4321, stateDir: "/state", varsFile: "/state/e2e.vars", env: {} });
    const plan = startPlan(launch.env, []);
    expect(plan.createDevVars).toBe(false);
    const i = plan.devArgs.indexOf("--env-file");
    expect(i).toBeGreaterThan(-1);
    expect(plan.devArgs[i + 1]).toBe("/state/e2e.vars");
    expect(plan.devArgs).toEqual(expect.arrayContaining(["--port", "4321", "--persist-to", "/state"]));
  });

  it("plain npm start still uses .dev.vars (created from the example when missing) and passes extra flags such as --var to wrangler dev", () => {
    const plan = startPlan({}, ["--var", "OUTBOUND_ALLOW:loopback"]);
    expect(plan.createDevVars).toBe(true);
    expect(plan.devArgs).not.toContain("--env-file");
    expect(plan.devArgs.slice(-2)).toEqual(["--var", "OUTBOUND_ALLOW:loopback"]);
    expect(plan.devArgs).toEqual(expect.arrayContaining(["--port", "8787"]));
  });
});

describe("npm start's ingest mode", () => {
  it("is the durable inbox by default, INGEST_MODE from the environment otherwise, and never overrides a flag given to npm start", () => {
    const mode = (p: { devArgs: string[] }) => p.devArgs.filter((a) => a.startsWith("INGEST_MODE:"));
    expect(mode(startPlan({}, []))).toEqual(["INGEST_MODE:inbox"]);
    expect(mode(startPlan({ INGEST_MODE: "queue" }, []))).toEqual(["INGEST_MODE:queue"]);
    expect(mode(startPlan({ INGEST_MODE: "queue" }, ["--var", "INGEST_MODE:d1"]))).toEqual(["INGEST_MODE:d1"]);
  });
});

describe("workerd suite config", () => {
  it("binds every variable of .dev.vars.example and wrangler.toml [vars] itself, so a developer's .dev.vars (which the plugin also loads) is overridden", async () => {
    const { TEST_SECRETS } = await import("../../vitest.workers");
    const needed = [...namesIn(readFileSync(".dev.vars.example", "utf8")), ...tomlVars()];
    for (const name of needed) expect(TEST_SECRETS, name).toHaveProperty(name);
    expect(TEST_SECRETS.OUTBOUND_ALLOW).toBe("loopback");
  });
});
