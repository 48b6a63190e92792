import { describe, expect, it } from "vitest";
import { parseFeed } from "../../src/services/poller-rss";

describe("parseFeed", () => {
  it("reads RSS 2.0 items: guid (with attributes), link fallback, pubDate as ISO, entities", () => {
    const xml = `<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>News</title>
  <item><title>Tom &amp; Jerry</title><link>https://ex.test/1</link><guid isPermaLink="false">0042</guid>
    <pubDate>Sun, 01 Nov 2026 09:30:00 +0100</pubDate><description>d1</description></item>
  <item><title>No guid</title><link>https://ex.test/2</link></item>
</channel></rss>`;
    expect(parseFeed(xml)).toEqual([
      { id: "0042", title: "Tom & Jerry", link: "https://ex.test/1", published: "2026-11-01T08:30:00.000Z", summary: "d1" },
      { id: "https://ex.test/2", title: "No guid", link: "https://ex.test/2", published: null, summary: null },
    ]);
  });

  it("reads a single-item channel and an empty channel", () => {
    expect(parseFeed(`<rss><channel><item><guid>x</guid></item></channel></rss>`).map((i) => i.id)).toEqual(["x"]);
    expect(parseFeed(`<rss><channel><title>t</title></channel></rss>`)).toEqual([]);
  });

  it("reads Atom entries: id, alternate link href, published/updated, summary", () => {
    const xml = `<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
  <entry><id>urn:uuid:1</id><title type="text">First</title>
    <link rel="self" href="https://ex.test/self"/><link rel="alternate" href="https://ex.test/a1"/>
    <updated>2026-11-02T10:00:00Z</updated><summary>s</summary></entry>
  <entry><title>Second</title><link href="https://ex.test/a2"/><published>2026-11-03T10:00:00+02:00</published><content type="html">c</content></entry>
</feed>`;
    expect(parseFeed(xml)).toEqual([
      { id: "urn:uuid:1", title: "First", link: "https://ex.test/a1", published: "2026-11-02T10:00:00.000Z", summary: "s" },
      { id: "https://ex.test/a2", title: "Second", link: "https://ex.test/a2", published: "2026-11-03T08:00:00.000Z", summary: "c" },
    ]);
  });

  it("reads RSS 1.0 (RDF) items", () => {
    const xml = `<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"><item><title>R</title><link>https://ex.test/r</link></item></rdf:RDF>`;
    expect(parseFeed(xml)[0]).toMatchObject({ id: "https://ex.test/r", title: "R" });
  });

  it("names the problem for documents that are not feeds", () => {
    expect(() => parseFeed(`{"json": true}`)).toThrow(/neither an RSS/);
    expect(() => parseFeed(`<html><body>hi</body></html>`)).toThrow(/neither an RSS/);
  });
});

describe("parseFeed: hostile XML ends as an Error (the poller records it), never a hang or a crash", () => {
  const laughs = (levels: number) => {
    let dtd = `<!ENTITY l0 "lollollollollollollollollollol">`;
    for (let i = 1; i <= levels; i++) dtd += `<!ENTITY l${i} "${`&l${i - 1};`.repeat(10)}">`;
    return `<?xml version="1.0"?><!DOCTYPE rss [${dtd}]><rss><channel><item><guid>g</guid><title>&l${levels};</title></item></channel></rss>`;
  };

  it("refuses an entity-expansion bomb (billion laughs) with an error naming entities", () => {
    const t0 = Date.now();
    expect(() => parseFeed(laughs(9))).toThrow(/entit/i);
    expect(Date.now() - t0).toBeLessThan(2000);
  });

  it("refuses a small entity bomb whose expansion stays under the parser's default limits", () => {
    // 10^3 * 30 = 30,000 characters from a 300-byte document: more than the 10,000 we allow.
    expect(() => parseFeed(laughs(3))).toThrow(/entit/i);
  });

  it("refuses XML nested deeper than 64 elements", () => {
    const deep = `<rss><channel><item><guid>g</guid>${"<x>".repeat(70)}${"</x>".repeat(70)}</item></channel></rss>`;
    expect(() => parseFeed(deep)).toThrow(/not well-formed|nest/i);
    expect(() => parseFeed(`<rss>${"<x>".repeat(10_000)}`)).toThrow();
  });

  it("refuses malformed XML", () => {
    expect(() => parseFeed(`<rss><channel><item><guid>g</item></channel></rss>`)).toThrow(/not well-formed/);
  });
});
