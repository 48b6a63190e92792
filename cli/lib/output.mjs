/**
 * Terminal output conventions: `--json` prints the API's JSON unchanged; otherwise a plain
 * table. Colour only when stdout is a TTY and NO_COLOR is unset; the spinner only when
 * stderr is a TTY (it never writes to stdout, so piped output stays clean).
 */
const useColor = (stream) => Boolean(stream.isTTY) && !("NO_COLOR" in process.env) && process.env.TERM !== "dumb";

/** Wraps `text` in an ANSI colour when `stream` allows colour; else returns it unchanged. */
export function paint(text, color, stream = process.stdout) {
  if (!useColor(stream)) return String(text);
  const codes = { red: 31, green: 32, yellow: 33, dim: 2, bold: 1, cyan: 36 };
  return `\x1b[${codes[color] ?? 0}m${text}\x1b[0m`;
}

/** Colours an HTTP or run status for a person: green for success, red for failure. */
export function statusColor(status) {
  const s = String(status ?? "");
  if (/^2\d\d$|success|routed|ENABLED|completed/.test(s)) return paint(s, "green");
  if (/^[45]\d\d$|fail|reject|error|DISABLED|dead/.test(s)) return paint(s, "red");
  return paint(s, "yellow");
}

const cell = (v) => {
  if (v === null || v === undefined) return "";
  if (typeof v === "object") return JSON.stringify(v);
  return String(v);
};

/**
 * Prints `rows` as a table with `columns` (`[header, (row) => value]` pairs), one line per
 * row; cells longer than 60 characters are cut with "…".
 */
export function printTable(rows, columns, out = process.stdout) {
  if (rows.length === 0) {
    out.write(paint("(none)\n", "dim", out));
    return;
  }
  const grid = rows.map((r) => columns.map(([, get]) => {
    const s = cell(get(r));
    return s.length > 60 ? `${s.slice(0, 59)}…` : s;
  }));
  const widths = columns.map(([h], i) => Math.max(h.length, ...grid.map((g) => g[i].length)));
  out.write(`${paint(columns.map(([h], i) => h.padEnd(widths[i])).join("  ").trimEnd(), "bold", out)}\n`);
  for (const g of grid) out.write(`${g.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd()}\n`);
}

/** Prints one object as `key  value` lines (nested values as JSON). */
export function printObject(obj, out = process.stdout) {
  const keys = Object.keys(obj ?? {});
  const w = Math.max(0, ...keys.map((k) => k.length));
  for (const k of keys) out.write(`${paint(k.padEnd(w), "bold", out)}  ${cell(obj[k])}\n`);
}

/** Prints `value` as the API's JSON, unchanged, pretty-printed. */
export function printJson(value, out = process.stdout) {
  out.write(`${JSON.stringify(value, null, 2)}\n`);
}

/**
 * Runs `work` while a spinner (after 1 s, on a TTY stderr only) says `label`. Guarantee: the
 * spinner line is erased before `work`'s result or error is returned.
 */
export async function withSpinner(label, work) {
  const err = process.stderr;
  if (!err.isTTY) return work();
  const frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];
  let i = 0;
  let shown = false;
  const tick = () => {
    shown = true;
    err.write(`\r${frames[i++ % frames.length]} ${label}`);
  };
  const start = setTimeout(() => {
    tick();
    timer = setInterval(tick, 100);
  }, 1000);
  let timer;
  try {
    return await work();
  } finally {
    clearTimeout(start);
    clearInterval(timer);
    if (shown) err.write("\r\x1b[2K");
  }
}
