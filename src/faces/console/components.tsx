import type { Child } from "hono/jsx";

/** A status as a badge whose class (and so colour) follows the status word. */
export const Status = (p: { value: string | null | undefined }) => <span class={`badge s-${(p.value ?? "none").replace(/[^a-z_]/gi, "")}`}>{p.value ?? "—"}</span>;

/** A timestamp in a <time> element; the browser script shows it in local time. */
export const When = (p: { at: string | null | undefined }) => (p.at ? <time datetime={p.at}>{p.at.replace("T", " ").replace(/\.\d+Z$/, "Z")}</time> : <span>—</span>);

/**
 * A one-button form for a state-changing call, carrying the session's CSRF token. Rendered
 * only when the caller may do it: pages pass `allowed` from the actor's role, and the
 * server checks the role again on the POST.
 */
export function Act(p: { action: string; csrf: string; label: string; allowed: boolean; children?: Child; danger?: boolean }) {
  if (!p.allowed) return null;
  return (
    <form method="post" action={p.action} class="act">
      <input type="hidden" name="_csrf" value={p.csrf} />
      {p.children}
      <button type="submit" class={p.danger ? "danger" : undefined}>
        {p.label}
      </button>
    </form>
  );
}

/** A value as pretty-printed JSON in a <pre> (escaped text, never HTML). */
export const Json = (p: { value: unknown }) => <pre class="code">{typeof p.value === "string" ? p.value : JSON.stringify(p.value, null, 2)}</pre>;

/** A `<dl>` of label → value pairs. */
export const Facts = (p: { items: [string, Child][] }) => (
  <dl class="facts">
    {p.items.map(([k, v]) => (
      <>
        <dt>{k}</dt>
        <dd>{v}</dd>
      </>
    ))}
  </dl>
);

/** What to do when a list is empty. */
export const Empty = (p: { children?: Child }) => <div class="empty">{p.children}</div>;

/** A "next page" link when the list has more (cursor pagination). */
export function Pager(p: { base: string; params: Record<string, string | undefined>; next: string | null }) {
  if (!p.next) return null;
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(p.params)) if (v) q.set(k, v);
  q.set("cursor", p.next);
  return (
    <p class="pager">
      <a href={`${p.base}?${q}`} rel="next">
        Next page →
      </a>
    </p>
  );
}

/** A text that can be copied with one click (the browser script wires the button). */
export const Copy = (p: { text: string; label?: string }) => (
  <span class="copy">
    <code>{p.text}</code>
    <button type="button" data-copy={p.text} aria-label={p.label ?? "Copy"}>
      Copy
    </button>
  </span>
);

/** The window picker of overview and endpoints. */
export const WINDOWS = { "1h": { seconds: 3600, bucket: "1m" }, "24h": { seconds: 86400, bucket: "1h" }, "7d": { seconds: 7 * 86400, bucket: "6h" } } as const;
export type WindowName = keyof typeof WINDOWS;
export const windowOf = (v: string | undefined): WindowName => (v && v in WINDOWS ? (v as WindowName) : "24h");
/** The metrics query of a window ending now. */
export const windowQuery = (w: WindowName) => ({ since: new Date(Date.now() - WINDOWS[w].seconds * 1000).toISOString(), bucket: WINDOWS[w].bucket });

export function WindowPicker(p: { base: string; current: WindowName }) {
  return (
    <nav aria-label="Time window" class="windows">
      {(Object.keys(WINDOWS) as WindowName[]).map((w) => (
        <a href={`${p.base}?window=${w}`} aria-current={w === p.current ? "true" : undefined}>
          last {w}
        </a>
      ))}
    </nav>
  );
}

/** A labelled filter <select> whose first option is "any" (empty value). */
export function Choice(p: { label: string; name: string; options: { value: string; label: string }[]; selected: string | undefined }) {
  return (
    <label>
      {p.label}
      <select name={p.name}>
        <option value="">any</option>
        {p.options.map((o) => (
          <option value={o.value} selected={o.value === p.selected}>
            {o.label}
          </option>
        ))}
      </select>
    </label>
  );
}
