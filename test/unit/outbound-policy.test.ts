import { describe, expect, it } from "vitest";
import { classifyHost, outboundProblem, SPECIAL_RANGES } from "../../src/core/outbound-policy";

const refused = (url: string, allow?: string) => outboundProblem(url, allow) !== null;

describe("outboundProblem: schemes and syntax", () => {
  it("accepts public http and https URLs", () => {
    expect(outboundProblem("https://example.com/hooks", undefined)).toBeNull();
    expect(outboundProblem("http://93.184.216.34:8080/x?y=1", "")).toBeNull();
    expect(outboundProblem("https://[2606:4700:4700::1111]/", undefined)).toBeNull();
  });

  it("refuses other schemes and relative or malformed URLs", () => {
    for (const url of ["ftp://example.com/", "file:///etc/passwd", "gopher://example.com/", "javascript:alert(1)", "data:text/plain,hi", "/relative", "not a url", "http://"]) {
      expect(refused(url, "*"), url).toBe(true);
    }
  });

  it("explains the reason in words a person can act on", () => {
    expect(outboundProblem("ftp://example.com/", undefined)).toMatch(/scheme 'ftp' is not allowed/);
    expect(outboundProblem("http://10.1.2.3/", undefined)).toMatch(/private-network.*OUTBOUND_ALLOW="private"/);
    expect(outboundProblem("http://169.254.169.254/latest/meta-data", undefined)).toMatch(/metadata/);
  });
});

describe("outboundProblem: address classes", () => {
  const cases: [string, string][] = [
    ["http://127.0.0.1/", "loopback"],
    ["http://127.255.255.254:9000/", "loopback"],
    ["http://localhost:8787/", "loopback"],
    ["http://LOCALHOST./", "loopback"],
    ["http://api.localhost/", "loopback"],
    ["http://[::1]/", "loopback"],
    ["http://[::]/", "loopback"],
    ["http://0.0.0.0/", "loopback"],
    ["http://0.1.2.3/", "loopback"],
    ["http://10.0.0.1/", "private"],
    ["http://172.16.0.1/", "private"],
    ["http://172.31.255.255/", "private"],
    ["http://192.168.1.1/", "private"],
    ["http://100.64.0.1/", "private"],
    ["http://100.127.255.255/", "private"],
    ["http://[fc00::1]/", "private"],
    ["http://[fd12:3456::1]/", "private"],
    ["http://169.254.1.1/", "link-local"],
    ["http://[fe80::1]/", "link-local"],
    ["http://[febf::1]/", "link-local"],
    ["http://169.254.169.254/", "metadata"],
    ["http://metadata.google.internal/computeMetadata/v1/", "metadata"],
    ["http://metadata/", "metadata"],
    ["http://[fd00:ec2::254]/", "metadata"],
    ["http://100.100.100.200/", "metadata"],
    ["http://224.0.0.1/", "reserved"],
    ["http://255.255.255.255/", "reserved"],
    ["http://[ff02::1]/", "reserved"],
  ];
  for (const [url, cls] of cases) {
    it(`classifies ${url} as ${cls} and refuses it by default`, () => {
      expect(classifyHost(new URL(url).hostname)).toBe(cls);
      expect(refused(url, undefined)).toBe(true);
      expect(refused(url, "")).toBe(true);
    });
  }

  it("leaves the neighbours of private ranges public", () => {
    for (const url of ["http://172.15.255.255/", "http://172.32.0.1/", "http://100.63.255.255/", "http://100.128.0.1/", "http://11.0.0.1/", "http://192.169.0.1/", "http://169.253.0.1/", "http://[2606:4700::1]/", "http://localhost.example.com/", "http://mylocalhost/", "http://metadata.example.com/"]) {
      expect(outboundProblem(url, undefined), url).toBeNull();
    }
  });
});

describe("outboundProblem: alternative spellings (normalised by the WHATWG URL parser)", () => {
  const loopbacks = ["http://2130706433/", "http://0x7f000001/", "http://0x7f.0.0.1/", "http://0177.0.0.1/", "http://017700000001/", "http://127.1/", "http://127.0.1/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/", "http://[0:0:0:0:0:ffff:127.0.0.1]/", "http://[::127.0.0.1]/", "http://[64:ff9b::127.0.0.1]/", "http://[2002:7f00:1::]/", "http://[0000:0000:0000:0000:0000:0000:0000:0001]/"];
  for (const url of loopbacks) {
    it(`refuses ${url} as loopback`, () => {
      expect(classifyHost(new URL(url).hostname)).toBe("loopback");
      expect(refused(url, undefined)).toBe(true);
      expect(refused(url, "loopback")).toBe(false);
    });
  }

  it("refuses the metadata address in decimal, hex and IPv4-mapped spellings", () => {
    for (const url of ["http://2852039166/", "http://0xa9fea9fe/", "http://0251.0376.0251.0376/", "http://[::ffff:169.254.169.254]/", "http://[::ffff:a9fe:a9fe]/"]) {
      expect(classifyHost(new URL(url).hostname), url).toBe("metadata");
      expect(refused(url, "loopback,private,link-local"), url).toBe(true);
    }
  });

  it("refuses IPv4-mapped private and link-local addresses", () => {
    expect(classifyHost(new URL("http://[::ffff:10.0.0.1]/").hostname)).toBe("private");
    expect(classifyHost(new URL("http://[::ffff:192.168.0.1]/").hostname)).toBe("private");
    expect(classifyHost(new URL("http://[::ffff:169.254.0.1]/").hostname)).toBe("link-local");
    expect(outboundProblem("http://[::ffff:8.8.8.8]/", undefined)).toBeNull();
  });
});

describe("outboundProblem: OUTBOUND_ALLOW", () => {
  it("permits exactly the listed classes", () => {
    expect(refused("http://127.0.0.1:8787/", "loopback")).toBe(false);
    expect(refused("http://10.0.0.1/", "loopback")).toBe(true);
    expect(refused("http://10.0.0.1/", "private")).toBe(false);
    expect(refused("http://[fd12::1]/", "private")).toBe(false);
    expect(refused("http://169.254.1.1/", "private")).toBe(true);
    expect(refused("http://169.254.1.1/", "link-local")).toBe(false);
    expect(refused("http://[fe80::1]/", " Link-Local , loopback ")).toBe(false);
  });

  it("permits metadata and reserved hosts only with *", () => {
    expect(refused("http://169.254.169.254/", "link-local")).toBe(true);
    expect(refused("http://169.254.169.254/", "loopback,private,link-local")).toBe(true);
    expect(refused("http://metadata.google.internal/", "private")).toBe(true);
    expect(refused("http://169.254.169.254/", "*")).toBe(false);
    expect(refused("http://224.0.0.1/", "private")).toBe(true);
    expect(refused("http://224.0.0.1/", "*")).toBe(false);
  });

  it("ignores unknown allowance words", () => {
    expect(refused("http://127.0.0.1/", "everything,public")).toBe(true);
  });
});


type Cls = ReturnType<typeof classifyHost>;
const cls = (host: string): Cls => classifyHost(new URL(`http://${host.includes(":") ? `[${host}]` : host}/`).hostname);

// One row per IANA special-purpose registry row (written out by hand, independent of the source
// table): cidr, expected class, first address, last address, one address just outside (with the
// class it must have there: null = public, or the enclosing row's class). Translation rows
// (IPv4-compatible, -mapped, -translated, NAT64 /96, 6to4) take the class of the IPv4 they embed
// when it is special: their first address embeds 0.0.0.0 (loopback), their last 255.255.255.255
// (reserved, the optional sixth column).
const ROWS: [string, Cls, string, string, [string, Cls] | null, Cls?][] = [
  ["0.0.0.0/8", "loopback", "0.0.0.0", "0.255.255.255", ["1.0.0.0", null]],
  ["10.0.0.0/8", "private", "10.0.0.0", "10.255.255.255", ["11.0.0.0", null]],
  ["100.64.0.0/10", "private", "100.64.0.0", "100.127.255.255", ["100.128.0.0", null]],
  ["127.0.0.0/8", "loopback", "127.0.0.0", "127.255.255.255", ["128.0.0.0", null]],
  ["169.254.0.0/16", "link-local", "169.254.0.0", "169.254.255.255", ["169.255.0.0", null]],
  ["172.16.0.0/12", "private", "172.16.0.0", "172.31.255.255", ["172.32.0.0", null]],
  ["192.0.0.0/24", "reserved", "192.0.0.0", "192.0.0.255", ["192.0.1.0", null]],
  ["192.0.0.8/32", "reserved", "192.0.0.8", "192.0.0.8", ["192.0.0.7", "reserved"]],
  ["192.0.0.9/32", "reserved", "192.0.0.9", "192.0.0.9", null],
  ["192.0.0.10/32", "reserved", "192.0.0.10", "192.0.0.10", ["192.0.0.11", "reserved"]],
  ["192.0.0.170/31", "reserved", "192.0.0.170", "192.0.0.171", ["192.0.0.172", "reserved"]],
  ["192.0.2.0/24", "reserved", "192.0.2.0", "192.0.2.255", ["192.0.3.0", null]],
  ["192.31.196.0/24", "reserved", "192.31.196.0", "192.31.196.255", ["192.31.197.0", null]],
  ["192.52.193.0/24", "reserved", "192.52.193.0", "192.52.193.255", ["192.52.194.0", null]],
  ["192.88.99.0/24", "reserved", "192.88.99.0", "192.88.99.255", ["192.88.98.255", null]],
  ["192.168.0.0/16", "private", "192.168.0.0", "192.168.255.255", ["192.169.0.0", null]],
  ["192.175.48.0/24", "reserved", "192.175.48.0", "192.175.48.255", ["192.175.49.0", null]],
  ["198.18.0.0/15", "reserved", "198.18.0.0", "198.19.255.255", ["198.20.0.0", null]],
  ["198.51.100.0/24", "reserved", "198.51.100.0", "198.51.100.255", ["198.51.101.0", null]],
  ["203.0.113.0/24", "reserved", "203.0.113.0", "203.0.113.255", ["203.0.114.0", null]],
  ["224.0.0.0/4", "reserved", "224.0.0.0", "239.255.255.255", ["223.255.255.255", null]],
  ["240.0.0.0/4", "reserved", "240.0.0.0", "255.255.255.254", null],
  ["255.255.255.255/32", "reserved", "255.255.255.255", "255.255.255.255", null],
  ["::1/128", "loopback", "::1", "::1", ["::2", "loopback"]], // ::2 is IPv4-compatible 0.0.0.2
  ["::/128", "loopback", "::", "::", null],
  ["::/96", "loopback", "::2", "::ffff:ffff", ["::1:0:0", null], "reserved"],
  ["::ffff:0:0/96", "loopback", "::ffff:0:0", "::ffff:ffff:ffff", ["::1:0:0:0", null], "reserved"],
  ["::ffff:0:0:0/96", "loopback", "::ffff:0:0:0", "::ffff:0:ffff:ffff", ["::ffff:1:0:0", null], "reserved"],
  ["64:ff9b::/96", "loopback", "64:ff9b::", "64:ff9b::ffff:ffff", ["64:ff9b::1:0:0", null], "reserved"],
  ["64:ff9b:1::/48", "reserved", "64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", ["64:ff9b:2::", null]],
  ["100::/64", "reserved", "100::", "100::ffff:ffff:ffff:ffff", ["100:0:0:2::", null]],
  ["100:0:0:1::/64", "reserved", "100:0:0:1::", "100::1:ffff:ffff:ffff:ffff", null],
  ["2001::/23", "reserved", "2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", ["2001:200::", null]],
  ["2001::/32", "reserved", "2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", ["2001:1::", "reserved"]],
  ["2001:1::1/128", "reserved", "2001:1::1", "2001:1::1", null],
  ["2001:1::2/128", "reserved", "2001:1::2", "2001:1::2", null],
  ["2001:2::/48", "reserved", "2001:2::", "2001:2:0:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:3::/32", "reserved", "2001:3::", "2001:3:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:4:112::/48", "reserved", "2001:4:112::", "2001:4:112:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:10::/28", "reserved", "2001:10::", "2001:1f:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:20::/28", "reserved", "2001:20::", "2001:2f:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:30::/28", "reserved", "2001:30::", "2001:3f:ffff:ffff:ffff:ffff:ffff:ffff", null],
  ["2001:db8::/32", "reserved", "2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", ["2001:db9::", null]],
  ["2002::/16", "loopback", "2002::", "2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["2003::", null], "reserved"],
  ["2620:4f:8000::/48", "reserved", "2620:4f:8000::", "2620:4f:8000:ffff:ffff:ffff:ffff:ffff", ["2620:4f:8001::", null]],
  ["3fff::/20", "reserved", "3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", ["3fff:1000::", null]],
  ["5f00::/16", "reserved", "5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["5f01::", null]],
  ["fc00::/7", "private", "fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["fbff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null]],
  ["fe80::/10", "link-local", "fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["fe7f:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null]],
  ["fec0::/10", "private", "fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", ["ff00::", "reserved"]],
  ["ff00::/8", "reserved", "ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null],
];

describe("outbound policy: one row per IANA special-purpose registry row", () => {
  it.each(ROWS)("%s is %s from its first to its last address", (_cidr, want, first, last, outside, wantLast) => {
    expect(cls(first), first).toBe(want);
    expect(cls(last), last).toBe(wantLast === undefined ? want : wantLast);
    if (outside) expect(cls(outside[0]), outside[0]).toBe(outside[1]);
  });

  it("the source table holds exactly these rows, each with a class and an RFC", () => {
    const src = SPECIAL_RANGES.filter((r) => r.cls !== "metadata");
    expect(src.map((r) => r.cidr).sort()).toEqual(ROWS.map((r) => r[0]).sort());
    for (const r of SPECIAL_RANGES) expect(r.rfc, r.cidr).toMatch(/^(RFC \d+|vendor: .+)/);
  });

  it.each(ROWS.filter((r) => (r[5] ?? r[1]) === "reserved"))("%s is refused unless OUTBOUND_ALLOW is *", (_cidr, want, first, last) => {
    const addr = want === "reserved" ? first : last;
    const url = `http://${addr.includes(":") ? `[${addr}]` : addr}/`;
    expect(outboundProblem(url, "loopback,private,link-local")).toMatch(/reserved/);
    expect(outboundProblem(url, "*")).toBeNull();
  });
});

describe("outbound policy: translation ranges never let an embedded special address through", () => {
  const embedded: [string, Cls][] = [
    ["::ffff:0:127.0.0.1", "loopback"],
    ["::ffff:0:169.254.169.254", "metadata"],

    ["64:ff9b::169.254.169.254", "metadata"],
    ["2002:a9fe:a9fe::", "metadata"],
    ["::ffff:198.18.0.1", "reserved"],
    ["::ffff:192.0.0.8", "reserved"],
  ];
  it.each(embedded)("%s is classified by its embedded IPv4 (%s)", (host, want) => {
    expect(cls(host)).toBe(want);
    expect(outboundProblem(`http://[${host}]/`, undefined)).not.toBeNull();
  });

  it("local-use NAT64 64:ff9b:1::/48 is refused outright (its IPv4 position depends on the operator's prefix)", () => {
    expect(cls("64:ff9b:1::10.0.0.1")).toBe("reserved");
    expect(outboundProblem("http://[64:ff9b:1::a9fe:a9fe]/", "loopback,private,link-local")).not.toBeNull();
  });

  it("Teredo is refused outright, whatever it embeds (client 127.0.0.1 obfuscated, server public)", () => {
    expect(cls("2001:0:4136:e378:8000:63bf:80ff:fffe")).toBe("reserved");
    expect(outboundProblem("http://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "loopback,private,link-local")).not.toBeNull();
  });

  it("non-mapped translations of a public IPv4 are reserved; IPv4-mapped public stays public", () => {
    expect(cls("64:ff9b::8.8.8.8")).toBe("reserved");
    expect(cls("2002:808:808::")).toBe("reserved");
    expect(cls("::ffff:0:8.8.8.8")).toBe("reserved");
    expect(cls("::ffff:8.8.8.8")).toBeNull();
  });
});
