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

/**
 * How a translation range embeds an IPv4 address: `low32` = the last 32 bits (IPv4-compatible,
 * -mapped, -translated, NAT64 64:ff9b::/96), `6to4` = bits 16..47. A host in such a range takes
 * the class of the embedded IPv4 when that one is special; when it is public, `mappedIsPublic`
 * rows (IPv4-mapped: the very same socket address) are public and every other translation row is
 * `reserved`. Translation rows without `embeds` (local-use NAT64, Teredo) are refused outright.
 */
type Embeds = "low32" | "6to4";

/** One row of the special-purpose address table. */
export interface SpecialRange {
  cidr: string;
  cls: HostClass;
  /** The RFC that assigns the row (IANA registry column "RFC"), or `vendor: …` for metadata IPs. */
  rfc: string;
  name: string;
  embeds?: Embeds;
  mappedIsPublic?: boolean;
}

/**
 * THE table the policy is driven by: the IANA IPv4 and IPv6 Special-Purpose Address Registries
 * (RFC 6890 and successors), plus multicast, deprecated site-local and the deprecated
 * IPv4-compatible ::/96, plus the cloud metadata IPs. The most specific (longest) prefix wins.
 */
export const SPECIAL_RANGES: readonly SpecialRange[] = [
  { cidr: "0.0.0.0/8", cls: "loopback", rfc: "RFC 791", name: "this network (reaches the local host on most stacks)" },
  { cidr: "10.0.0.0/8", cls: "private", rfc: "RFC 1918", name: "private-use" },
  { cidr: "100.64.0.0/10", cls: "private", rfc: "RFC 6598", name: "shared address space (CGNAT)" },
  { cidr: "127.0.0.0/8", cls: "loopback", rfc: "RFC 1122", name: "loopback" },
  { cidr: "169.254.0.0/16", cls: "link-local", rfc: "RFC 3927", name: "link local" },
  { cidr: "172.16.0.0/12", cls: "private", rfc: "RFC 1918", name: "private-use" },
  { cidr: "192.0.0.0/24", cls: "reserved", rfc: "RFC 6890", name: "IETF protocol assignments" },
  { cidr: "192.0.0.8/32", cls: "reserved", rfc: "RFC 7600", name: "IPv4 dummy address" },
  { cidr: "192.0.0.9/32", cls: "reserved", rfc: "RFC 7723", name: "Port Control Protocol anycast" },
  { cidr: "192.0.0.10/32", cls: "reserved", rfc: "RFC 8155", name: "TURN anycast" },
  { cidr: "192.0.0.170/31", cls: "reserved", rfc: "RFC 8880", name: "NAT64/DNS64 discovery" },
  { cidr: "192.0.2.0/24", cls: "reserved", rfc: "RFC 5737", name: "documentation (TEST-NET-1)" },
  { cidr: "192.31.196.0/24", cls: "reserved", rfc: "RFC 7535", name: "AS112-v4" },
  { cidr: "192.52.193.0/24", cls: "reserved", rfc: "RFC 7450", name: "AMT" },
  { cidr: "192.88.99.0/24", cls: "reserved", rfc: "RFC 7526", name: "deprecated 6to4 relay anycast" },
  { cidr: "192.168.0.0/16", cls: "private", rfc: "RFC 1918", name: "private-use" },
  { cidr: "192.175.48.0/24", cls: "reserved", rfc: "RFC 7534", name: "direct delegation AS112 service" },
  { cidr: "198.18.0.0/15", cls: "reserved", rfc: "RFC 2544", name: "benchmarking" },
  { cidr: "198.51.100.0/24", cls: "reserved", rfc: "RFC 5737", name: "documentation (TEST-NET-2)" },
  { cidr: "203.0.113.0/24", cls: "reserved", rfc: "RFC 5737", name: "documentation (TEST-NET-3)" },
  { cidr: "224.0.0.0/4", cls: "reserved", rfc: "RFC 5771", name: "multicast" },
  { cidr: "240.0.0.0/4", cls: "reserved", rfc: "RFC 1112", name: "reserved" },
  { cidr: "255.255.255.255/32", cls: "reserved", rfc: "RFC 919", name: "limited broadcast" },
  { cidr: "169.254.169.254/32", cls: "metadata", rfc: "vendor: AWS, GCP, Azure, OpenStack", name: "instance metadata" },
  { cidr: "169.254.170.2/32", cls: "metadata", rfc: "vendor: AWS ECS", name: "task metadata" },
  { cidr: "100.100.100.200/32", cls: "metadata", rfc: "vendor: Alibaba Cloud", name: "instance metadata" },
  { cidr: "192.0.0.192/32", cls: "metadata", rfc: "vendor: Oracle Cloud", name: "instance metadata" },

  { cidr: "::1/128", cls: "loopback", rfc: "RFC 4291", name: "loopback" },
  { cidr: "::/128", cls: "loopback", rfc: "RFC 4291", name: "unspecified (reaches the local host on most stacks)" },
  { cidr: "::/96", cls: "reserved", rfc: "RFC 4291", name: "deprecated IPv4-compatible", embeds: "low32" },
  { cidr: "::ffff:0:0/96", cls: "reserved", rfc: "RFC 4291", name: "IPv4-mapped", embeds: "low32", mappedIsPublic: true },
  { cidr: "::ffff:0:0:0/96", cls: "reserved", rfc: "RFC 2765", name: "IPv4-translated", embeds: "low32" },
  { cidr: "64:ff9b::/96", cls: "reserved", rfc: "RFC 6052", name: "IPv4-IPv6 translation (NAT64)", embeds: "low32" },
  { cidr: "64:ff9b:1::/48", cls: "reserved", rfc: "RFC 8215", name: "local-use IPv4/IPv6 translation" },
  { cidr: "100::/64", cls: "reserved", rfc: "RFC 6666", name: "discard-only" },
  { cidr: "100:0:0:1::/64", cls: "reserved", rfc: "RFC 9780", name: "dummy IPv6 prefix" },
  { cidr: "2001::/23", cls: "reserved", rfc: "RFC 2928", name: "IETF protocol assignments" },
  { cidr: "2001::/32", cls: "reserved", rfc: "RFC 4380", name: "Teredo" },
  { cidr: "2001:1::1/128", cls: "reserved", rfc: "RFC 7723", name: "Port Control Protocol anycast" },
  { cidr: "2001:1::2/128", cls: "reserved", rfc: "RFC 8155", name: "TURN anycast" },
  { cidr: "2001:2::/48", cls: "reserved", rfc: "RFC 5180", name: "benchmarking" },
  { cidr: "2001:3::/32", cls: "reserved", rfc: "RFC 7450", name: "AMT" },
  { cidr: "2001:4:112::/48", cls: "reserved", rfc: "RFC 7535", name: "AS112-v6" },
  { cidr: "2001:10::/28", cls: "reserved", rfc: "RFC 4843", name: "deprecated ORCHID" },
  { cidr: "2001:20::/28", cls: "reserved", rfc: "RFC 7343", name: "ORCHIDv2" },
  { cidr: "2001:30::/28", cls: "reserved", rfc: "RFC 9374", name: "drone remote ID" },
  { cidr: "2001:db8::/32", cls: "reserved", rfc: "RFC 3849", name: "documentation" },
  { cidr: "2002::/16", cls: "reserved", rfc: "RFC 3056", name: "6to4", embeds: "6to4" },
  { cidr: "2620:4f:8000::/48", cls: "reserved", rfc: "RFC 7534", name: "direct delegation AS112 service" },
  { cidr: "3fff::/20", cls: "reserved", rfc: "RFC 9637", name: "documentation" },
  { cidr: "5f00::/16", cls: "reserved", rfc: "RFC 9602", name: "segment routing (SRv6) SIDs" },
  { cidr: "fc00::/7", cls: "private", rfc: "RFC 4193", name: "unique-local" },
  { cidr: "fe80::/10", cls: "link-local", rfc: "RFC 4291", name: "link-local unicast" },
  { cidr: "fec0::/10", cls: "private", rfc: "RFC 3879", name: "deprecated site-local" },
  { cidr: "ff00::/8", cls: "reserved", rfc: "RFC 4291", name: "multicast" },
  { cidr: "fd00:ec2::254/128", cls: "metadata", rfc: "vendor: AWS (IPv6)", name: "instance metadata" },
];

interface Compiled {
  row: SpecialRange;
  base: bigint;
  bits: number;
}

function compile(family: 4 | 6): Compiled[] {
  const width = family === 4 ? 32 : 128;
  return SPECIAL_RANGES.flatMap((row) => {
    const [addr, len] = row.cidr.split("/") as [string, string];
    if (addr.includes(":") !== (family === 6)) return [];
    const n = family === 4 ? v4ToBig(parseV4(addr)!) : v6ToBig(parseV6(addr)!);
    return [{ row, base: n >> BigInt(width - Number(len)), bits: Number(len) }];
  }).sort((a, b) => b.bits - a.bits); // longest prefix first
}

const v4ToBig = (p: number[]) => p.reduce((acc, x) => (acc << 8n) | BigInt(x), 0n);
const v6ToBig = (g: number[]) => g.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
const bigToV4 = (n: bigint) => [24n, 16n, 8n, 0n].map((s) => Number((n >> s) & 255n));

let tables: { v4: Compiled[]; v6: Compiled[] } | null = null;
function lookup(n: bigint, family: 4 | 6): SpecialRange | null {
  tables ??= { v4: compile(4), v6: compile(6) };
  const width = family === 4 ? 32 : 128;
  for (const c of family === 4 ? tables.v4 : tables.v6) if (n >> BigInt(width - c.bits) === c.base) return c.row;
  return null;
}

const CLASS_TEXT: Record<HostClass, string> = {
  loopback: "a loopback address",
  private: "a private-network address",
  "link-local": "a link-local address",
  metadata: "a cloud metadata service",
  reserved: "a reserved, multicast or broadcast address",
};

/**
 * Returns why `url` may not be called, or null when it may. Guarantees: only absolute
 * http/https URLs pass; a literal IP host is looked up in SPECIAL_RANGES (longest prefix wins)
 * in any spelling the WHATWG URL parser normalises (decimal, octal, hex IPv4); translation
 * ranges never let an embedded special IPv4 through (see `Embeds`); metadata names and
 * `localhost` are refused; `allow` (comma list of "loopback", "private", "link-local", "*")
 * permits those classes. Metadata and reserved hosts are permitted only by "*".
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

function classifyV4(parts: number[]): HostClass | null {
  return lookup(v4ToBig(parts), 4)?.cls ?? null;
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
  const n = v6ToBig(g);
  const row = lookup(n, 6);
  if (!row) return null;
  if (!row.embeds) return row.cls;
  const v4 = bigToV4(row.embeds === "6to4" ? (n >> 80n) & 0xffffffffn : n & 0xffffffffn);
  const inner = classifyV4(v4);
  if (inner) return inner;
  return row.mappedIsPublic ? null : row.cls;
}
