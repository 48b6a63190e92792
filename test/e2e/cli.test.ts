/**
 * The real `switchyard` binary (cli/index.mjs) as a child process against `npm start`:
 * login, creating an org/app/trigger, listen forwarding to a recording receiver with the
 * answer then visible through `events get`, approve, --json output, a bad token (exit 1,
 * the API's message and request id), usage errors (exit 2) and --help for every command.
 * It runs on the user's Node: a Node found on PATH outside node_modules (Node 20 on these
 * machines), else the current one.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminToken, baseUrl, startReceiver, waitFor } from "./harness";

const root = process.cwd();
const bin = join(root, "cli", "index.mjs");
const userNode = (() => {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const candidate = join(dir, "node");
    if (!dir.includes("node_modules") && existsSync(candidate)) return candidate;
  }
  return process.execPath;
})();
const home = mkdtempSync(join(tmpdir(), "switchyard-cli-"));
afterAll(() => rmSync(home, { recursive: true, force: true }));

interface Ran { code: number | null; stdout: string; stderr: string }
const cliEnv = (extra: Record<string, string> = {}) => {
  const env: Record<string, string> = { PATH: process.env.PATH ?? "", HOME: home, XDG_CONFIG_HOME: join(home, ".config"), NO_COLOR: "1", ...extra };
  return env;
};

/** Runs the CLI to completion (bounded: killed after 30 s). */
function sy(args: string[], extra: Record<string, string> = {}): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn(userNode, [bin, ...args], { env: cliEnv(extra), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
const json = async (args: string[]) => {
  const r = await sy([...args, "--json"]);
  expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(0);
  return JSON.parse(r.stdout);
};

let orgId = "";
let workspaceId = "";
let appId = "";

describe("switchyard CLI", () => {
  beforeAll(async () => {
    const r = await sy(["login", "--url", baseUrl(), "--token", adminToken()]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain("logged in");
  });

  it("login stores the URL and token in a 0600 config file, and --profile keeps servers apart", async () => {
    const file = join(home, ".config", "switchyard", "config.json");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const other = await sy(["login", "--url", baseUrl(), "--token", adminToken(), "--profile", "second"]);
    expect(other.code).toBe(0);
    const { readFileSync } = await import("node:fs");
    expect(Object.keys(JSON.parse(readFileSync(file, "utf8")).profiles).sort()).toEqual(["default", "second"]);
  });

  it("creates an org, workspace, app and trigger, and lists them as tables and as JSON", async () => {
    orgId = (await json(["orgs", "create", "--name", `cli-${Date.now()}`])).org_id;
    workspaceId = (await json(["--org", orgId, "workspaces", "create", "--name", "main"])).workspace_id;
    appId = (await json(["--org", orgId, "apps", "create", "--workspace", workspaceId, "--name", "shop"])).app_id;
    const trigger = await json(["--org", orgId, "triggers", "create", "--app", appId, "--provider", "webhook", "--trigger", "on_any_event"]);
    expect(trigger).toEqual(expect.objectContaining({ provider_id: "webhook", project_id: appId }));
    const table = await sy(["--org", orgId, "apps", "list", "--workspace", workspaceId]);
    expect(table.stdout.split("\n")[0]).toMatch(/^APP_ID\s+NAME\s+WORKSPACE$/);
    expect(table.stdout).toContain(appId);
    const listed = await json(["--org", orgId, "triggers", "list"]);
    expect(listed.map((t: any) => t.project_trigger_id)).toContain(trigger.project_trigger_id);
  });

  it("listen --new forwards a webhook to a local receiver within 2 s, and its answer shows in events get", async () => {
    const receiver = await startReceiver(() => ({ status: 202, body: "local ok" }));
    const child = spawn(userNode, [bin, "--org", orgId, "listen", "--new", "webhook", "--app", appId, "--forward", `${receiver.url}/hooks`], { env: cliEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    try {
      const url = await waitFor(async () => /webhook URL: (\S+)/.exec(err)?.[1], "listen to print the webhook URL", 20_000);
      await new Promise((r) => setTimeout(r, 800)); // its baseline poll
      const body = JSON.stringify({ type: "order.created", id: 42 });
      const t0 = Date.now();
      const ack = await fetch(url, { method: "POST", headers: { "content-type": "application/json", "x-shop": "demo" }, body });
      expect(ack.status).toBe(200);
      const { event_id } = (await ack.json()) as { event_id: string };
      await waitFor(async () => receiver.requests.length > 0, "the receiver to get the forward", 5_000);
      const latency = Date.now() - t0;
      expect(latency).toBeLessThanOrEqual(2_000);
      const got = receiver.requests[0]!;
      expect(got).toEqual(expect.objectContaining({ method: "POST", path: "/hooks", body }));
      expect(got.headers["x-shop"]).toBe("demo");
      expect(got.headers.authorization).toBeUndefined();
      await waitFor(async () => out.includes(event_id), "the forward line");
      expect(out).toMatch(new RegExp(`order\\.created\\s+${event_id}\\s+→ 202\\s+\\d+ ms`));
      const shown = await waitFor(async () => {
        const ev = await json(["--org", orgId, "events", "get", event_id]);
        return ev.forwards.length ? ev : undefined;
      }, "the recorded forward");
      expect(shown.forwards[0]).toEqual(expect.objectContaining({ status: 202, response_body: "local ok", target: `${receiver.url}/hooks` }));
      const human = await sy(["--org", orgId, "events", "get", event_id]);
      expect(human.stdout).toMatch(/forwards\n.*\n.*\/hooks\s+202/);
      // A second delivery of the same event id would be a duplicate; a new one is forwarded once.
      await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "order.paid" }) });
      await waitFor(async () => receiver.requests.length === 2, "the second forward");
      await new Promise((r) => setTimeout(r, 1_500));
      expect(receiver.requests).toHaveLength(2);
    } finally {
      child.kill("SIGINT");
      await new Promise((r) => child.once("close", r));
      await receiver.stop();
    }
    expect(child.exitCode).toBe(0);
  });

  it("approve releases a run that waits for approval, and the receiver gets it", async () => {
    const receiver = await startReceiver();
    try {
      const ep = await json(["--org", orgId, "endpoints", "create", "--workspace", workspaceId, "--app", appId, "--name", "local", "--url", `${receiver.url}/deliver`]);
      const action = await json(["--org", orgId, "actions", "create", "--workspace", workspaceId, "--app", appId, "--name", "gated", "--endpoint", ep.endpoint_id, "--data", JSON.stringify({ approval_required: true, payload: { who: "{{ inputs.who }}" } })]);
      const started = await json(["trigger", action.action_id, "--input", "who=ops"]);
      const runId = started.results[0].data.run_id;
      await waitFor(async () => (await json(["--org", orgId, "runs", "get", runId])).run.status === "pending_approval", "pending_approval");
      const approved = await sy(["approve", runId, "-m", "ship it"]);
      expect(approved.code, approved.stderr).toBe(0);
      await waitFor(async () => receiver.requests.length === 1, "the approved delivery");
      expect(JSON.parse(receiver.requests[0]!.body)).toEqual({ who: "ops" });
      const listed = await json(["--org", orgId, "runs", "list", "--action", action.action_id]);
      expect(listed.runs[0].run_id).toBe(runId);
    } finally {
      await receiver.stop();
    }
  });

  it("a bad token exits 1 with the API's message and the request id", async () => {
    const r = await sy(["orgs", "list"], { SWITCHYARD_URL: baseUrl(), SWITCHYARD_TOKEN: "sy_not_a_real_key" });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("bearer token is invalid, expired or revoked");
    expect(r.stderr).toMatch(/request id: [0-9a-f-]{36}/);
    const unreachable = await sy(["orgs", "list"], { SWITCHYARD_URL: "http://127.0.0.1:9", SWITCHYARD_TOKEN: "x" });
    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toContain("cannot reach the server");
  });

  it("usage errors exit 2", async () => {
    for (const args of [["bogus"], ["orgs", "get"], ["reject", "some-run"], ["events", "list", "--status", "lost"], ["listen", "--forward", "not a url", "t"], ["trigger", "a", "--input", "novalue"]]) {
      const r = await sy(args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr.length).toBeGreaterThan(0);
    }
  });

  it("--help works for every command", async () => {
    const top = await sy(["--help"]);
    expect(top.code).toBe(0);
    const groups: Record<string, string[]> = {
      orgs: ["list", "get", "create", "delete"], workspaces: ["list", "get", "create", "delete"], apps: ["list", "get", "create", "delete"],
      endpoints: ["list", "get", "create", "delete"], connections: ["list", "get", "create", "delete"],
      triggers: ["list", "get", "create", "delete", "enable", "disable"], actions: ["list", "get", "create", "delete"],
      events: ["list", "get", "replay"], runs: ["list", "get", "retry"], pipelines: ["list", "run", "status", "stop"],
    };
    const checks: string[][] = [["login"], ["approve"], ["reject"], ["trigger"], ["listen"], ["tail"]];
    for (const [g, subs] of Object.entries(groups)) {
      checks.push([g]);
      for (const s of subs) checks.push([g, s]);
    }
    const results = await Promise.all(checks.map((args) => sy([...args, "--help"])));
    results.forEach((r, i) => {
      expect(r.code, checks[i]!.join(" ")).toBe(0);
      expect(r.stdout, checks[i]!.join(" ")).toContain(`Usage: switchyard ${checks[i]!.join(" ")}`);
    });
  });
});
