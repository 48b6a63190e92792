/** `switchyard login --url <base> --token <key>`: checks the token against the server, then stores it in the profile. */
import { createSwitchyardClient } from "../../client/index.mjs";
import { call } from "../lib/api.mjs";
import { optionsOf } from "../lib/command.mjs";
import { saveProfile } from "../lib/config.mjs";
import { UsageError } from "../lib/errors.mjs";
import { paint, printJson } from "../lib/output.mjs";

/** Registers `login` on `program`. */
export function registerLogin(program) {
  program
    .command("login")
    .description("check a token against a server and store both in ~/.config/switchyard/config.json (mode 0600)")
    .requiredOption("--url <base>", "the server, e.g. http://127.0.0.1:8787")
    .requiredOption("--token <key>", "an API key (sy_…) or the ADMIN_TOKEN")
    .action(async (_o, cmd) => {
      const o = optionsOf(cmd);
      let url;
      try {
        url = new URL(o.url);
      } catch {
        throw new UsageError(`--url "${o.url}" is not a URL`);
      }
      if (!/^https?:$/.test(url.protocol)) throw new UsageError("--url must be http:// or https://");
      const base = url.toString().replace(/\/+$/, "");
      const api = createSwitchyardClient({ baseUrl: base, token: o.token });
      // Any authenticated read proves the token; an org-scoped key sees exactly its own org.
      const page = await call(api.GET("/v1/orgs", { params: { query: { limit: 2 } } }), "checking the token");
      const org = o.org ?? (page.orgs.length === 1 && page.total === 1 ? page.orgs[0].org_id : undefined);
      const profile = o.profile ?? "default";
      const file = saveProfile(profile, { url: base, token: o.token, ...(org ? { org } : {}) });
      if (o.json) return printJson({ profile, url: base, org: org ?? null, config: file });
      process.stdout.write(`${paint("logged in", "green")} to ${base} as profile "${profile}"${org ? ` (org ${org})` : ""}; saved in ${file}\n`);
    });
}
