/**
 * Outbound URL policy: which destinations Switchyard may call (endpoints, polling URLs).
 *
 * Why: a webhook router makes HTTP requests to URLs its tenants type in. Without a policy a
 * tenant could aim deliveries at the router's own network (loopback, private ranges, cloud
 * metadata services) — classic SSRF. The policy is a pure function of the URL text and the
 * `OUTBOUND_ALLOW` setting so every caller (endpoint create/update, delivery, polling) applies
 * exactly the same rule and it can be unit-tested exhaustively.
 *
 * It judges the literal host only: a DNS name that later resolves to a private address is
 * not detected here (Workers cannot resolve names; Cloudflare's edge does not route
 * `fetch` to private networks in production anyway).
 */

/** Address classes the policy knows. `metadata` and `reserved` are only allowed by "*". */
export type HostClass = "loopback" | "private" | "link-local" | "metadata" | "reserved";

/** Host names (lower-case, no trailing dot) of cloud instance-metadata services. */
const METADATA_NAMES = new Set(["metadata.google.internal", "metadata", "metadata.goog", "instance-data", "instance-data.ec2.internal"]);
/** Metadata IPs: AWS/GCP/Azure/OpenStack, AWS IPv6, Alibaba, Oracle. */
const METADATA_V4 = new Set(["169.254.169.254", "169.254.170.2", "100.100.100.200", "192.0.0.192"]);
const METADATA_V6 = "fd00:ec2:0:0:0:0:0:254";

const CLASS_TEXT: Record<HostClass, string> = {
  loopback: "a loopback address",
  private: "a private-network address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata service",
  reserved: "a reserved, multicast or broadcast address",
};

/**
 * Returns why `url` may not be called, or null when it may. Guarantees: only absolute
 * http/https URLs pass; loopback, private (RFC 1918, CGNAT, IPv6 ULA), link-local,
 * 0.0.0.0/8, reserved/multicast and metadata hosts are refused — in any spelling that the
 * WHATWG URL parser normalises (decimal, octal, hex IPv4; IPv4-mapped/compatible, NAT64 and
 * 6to4 IPv6) — unless `allow` (comma list of "loopback", "private", "link-local", "*")
 * permits that class. Metadata and reserved hosts are permitted only by "*".
 */
export function outboundProblem(url: string, allow: string | undefined): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return "url is not a valid absolute URL (expected http:// or https://…)";
  }
  if (u.protocol !== "http:" && u.protocol !== "https:") {
    return `url scheme '${u.protocol.replace(/:$/, "")}' is not allowed; use http or https`;
  }
  const host = u.hostname.toLowerCase();
  if (!host) return "url has no host";
  const cls = classifyHost(host);
  if (!cls) return null;
  const allowed = new Set((allow ?? "").split(",").map((s) => s.trim().toLowerCase()).filter(Boolean));
  if (allowed.has("*")) return null;
  if ((cls === "loopback" || cls === "private" || cls === "link-local") && allowed.has(cls)) return null;
  const hint = cls === "metadata" || cls === "reserved" ? "" : ` (an operator can permit it with OUTBOUND_ALLOW="${cls}")`;
  return `url host '${host}' is ${CLASS_TEXT[cls]}; the outbound policy refuses it${hint}`;
}

/**
 * Classifies a URL hostname (as `URL.hostname` serialises it: IPv6 in brackets, IPv4
 * dotted-decimal). Null means a public address or an ordinary DNS name.
 */
export function classifyHost(hostname: string): HostClass | null {
  const host = hostname.toLowerCase().replace(/\.+$/, "");
  if (host.startsWith("[") && host.endsWith("]")) return classifyV6(host.slice(1, -1));
  const v4 = parseV4(host);
  if (v4) return classifyV4(v4);
  if (METADATA_NAMES.has(host)) return "metadata";
  if (host === "localhost" || host.endsWith(".localhost")) return "loopback";
  return null;
}

function parseV4(host: string): number[] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(host);
  if (!m) return null;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? parts : null;
}

function classifyV4([a, b, c, d]: number[]): HostClass | null {
  if (a === undefined || b === undefined || c === undefined || d === undefined) return null;
  if (METADATA_V4.has(`${a}.${b}.${c}.${d}`)) return "metadata";
  if (a === 127 || a === 0) return "loopback"; // 0.0.0.0/8 reaches the local host on most stacks
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return "private";
  if (a === 100 && b >= 64 && b <= 127) return "private"; // CGNAT 100.64/10
  if (a === 169 && b === 254) return "link-local";
  if (a >= 224) return "reserved"; // multicast 224/4, reserved 240/4, broadcast
  return null;
}

/** Expands an IPv6 literal (no brackets) into 8 numbers; null if it is not one. */
function parseV6(text: string): number[] | null {
  let s = text;
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (dotted) {
    const v4 = parseV4(dotted[1]!);
    if (!v4) return null;
    s = s.slice(0, -dotted[1]!.length) + `${((v4[0]! << 8) | v4[1]!).toString(16)}:${((v4[2]! << 8) | v4[3]!).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(":") : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill("0"), ...tail];
  if (!groups.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return null;
  return groups.map((g) => parseInt(g, 16));
}

function classifyV6(text: string): HostClass | null {
  const g = parseV6(text);
  if (!g) return "reserved"; // unparseable literal: refuse rather than guess
  if (g.map((x) => x.toString(16)).join(":") === METADATA_V6) return "metadata";
  const v4of = (hi: number, lo: number) => [hi >> 8, hi & 255, lo >> 8, lo & 255];
  const zeros = (from: number, to: number) => g.slice(from, to).every((x) => x === 0);
  if (zeros(0, 7) && (g[7] === 0 || g[7] === 1)) return "loopback"; // :: and ::1
  if (zeros(0, 5) && g[5] === 0xffff) return classifyV4(v4of(g[6]!, g[7]!)); // ::ffff:a.b.c.d
  if (zeros(0, 6)) return classifyV4(v4of(g[6]!, g[7]!)); // deprecated ::a.b.c.d
  if (g[0] === 0x64 && g[1] === 0xff9b && zeros(2, 6)) return classifyV4(v4of(g[6]!, g[7]!)); // NAT64
  if (g[0] === 0x2002) return classifyV4(v4of(g[1]!, g[2]!)); // 6to4
  const first = g[0]!;
  if ((first & 0xfe00) === 0xfc00) return "private"; // fc00::/7 unique local
  if ((first & 0xffc0) === 0xfe80) return "link-local"; // fe80::/10
  if ((first & 0xffc0) === 0xfec0) return "private"; // deprecated site-local fec0::/10
  if ((first & 0xff00) === 0xff00) return "reserved"; // multicast
  return null;
}
