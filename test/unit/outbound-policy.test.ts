import { describe, expect, it } from "vitest";
import { classifyHost, outboundProblem } from "../../src/core/outbound-policy";

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
    for (const url of ["http://172.15.255.255/", "http://172.32.0.1/", "http://100.63.255.255/", "http://100.128.0.1/", "http://11.0.0.1/", "http://192.169.0.1/", "http://169.253.0.1/", "http://[2001:db8::1]/", "http://localhost.example.com/", "http://mylocalhost/", "http://metadata.example.com/"]) {
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
