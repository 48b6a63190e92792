import { raw } from "hono/html";
import type { Child } from "hono/jsx";

/** The navigation, in order. The link texts are fixed: scripts and tests look for them. */
export const NAV = ["overview", "events", "runs", "approvals", "triggers", "actions", "pipelines", "endpoints"] as const;
export type NavItem = (typeof NAV)[number];

/** A notice shown above the page: what just happened, or why a form was refused. */
export interface Flash {
  kind: "ok" | "error";
  text: string;
}

/**
 * The console's shell: head with the Worker-served stylesheet, the navigation (with the
 * current page marked), the sign-out form, the flash and the page. Everything rendered
 * through hono/jsx, which escapes every text and attribute.
 */
export function Layout(p: { title: string; current?: NavItem; csrf?: string; who?: string; flash?: Flash | null; children?: Child }) {
  return (
    <>
    {raw("<!DOCTYPE html>")}
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${p.title} · Switchyard`}</title>
        <link rel="stylesheet" href="/console/static/console.css" />
        <script src="/console/static/console.js" defer></script>
      </head>
      <body>
        {p.csrf !== undefined ? (
          <header class="top">
            <span class="brand">Switchyard</span>
            <nav aria-label="Console">
              <ul>
                {NAV.map((n) => (
                  <li>
                    <a href={n === "overview" ? "/console" : `/console/${n}`} aria-current={p.current === n ? "page" : undefined}>
                      {n}
                    </a>
                  </li>
                ))}
              </ul>
            </nav>
            <form method="post" action="/console/logout" class="logout">
              <input type="hidden" name="_csrf" value={p.csrf} />
              {p.who ? <span class="who">{p.who}</span> : null}
              <button type="submit">Sign out</button>
            </form>
          </header>
        ) : null}
        <main id="main">
          <h1>{p.title}</h1>
          {p.flash ? (
            <p class={`flash ${p.flash.kind}`} role={p.flash.kind === "error" ? "alert" : "status"}>
              {p.flash.text}
            </p>
          ) : null}
          {p.children}
        </main>
      </body>
    </html>
    </>
  );
}
