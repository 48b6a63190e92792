/** Drives the console the way a browser does: form posts with the console's Origin, a session cookie. */
import { SELF } from "cloudflare:test";

export const ORIGIN = "http://sy.test";

export interface PageResult {
  status: number;
  text: string;
  headers: Headers;
}

/** One request to the console; `cookie` is the session cookie pair ("sy_console=…"). */
export async function req(method: string, path: string, o: { cookie?: string; form?: Record<string, string>; origin?: string | null; base?: string; headers?: Record<string, string>; body?: string } = {}): Promise<PageResult> {
  const headers: Record<string, string> = { ...(o.headers ?? {}) };
  if (o.cookie) headers.cookie = o.cookie;
  let body: string | undefined = o.body;
  if (o.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(o.form).toString();
  }
  if (method !== "GET" && o.origin !== null) headers.origin = o.origin ?? ORIGIN;
  const res = await SELF.fetch(`${o.base ?? ORIGIN}${path}`, { method, headers, body, redirect: "manual" });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

/** Signs in with `form` and returns the session cookie pair and the raw Set-Cookie header. */
export async function signIn(form: Record<string, string>, base = ORIGIN): Promise<{ cookie: string; setCookie: string; res: PageResult }> {
  const res = await req("POST", "/console/login", { form, base, origin: base });
  const setCookie = res.headers.get("set-cookie") ?? "";
  return { cookie: setCookie.split(";")[0] ?? "", setCookie, res };
}

/** The CSRF token rendered into a page's forms. */
export function csrfOf(html: string): string {
  const m = /name="_csrf" value="([0-9a-f]{32})"/.exec(html);
  if (!m) throw new Error("no CSRF token on the page");
  return m[1]!;
}

/** A signed-in session: its cookie and the CSRF token of its pages. */
export async function session(apiKey: string): Promise<{ cookie: string; csrf: string }> {
  const { cookie } = await signIn({ api_key: apiKey });
  const page = await req("GET", "/console", { cookie });
  if (page.status !== 200) throw new Error(`console answered ${page.status}`);
  return { cookie, csrf: csrfOf(page.text) };
}
