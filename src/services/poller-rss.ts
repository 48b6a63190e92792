import { XMLParser, XMLValidator } from "fast-xml-parser";

/** Deepest element nesting a feed may have (RSS/Atom need about 5). */
export const FEED_MAX_DEPTH = 64;

/** One entry of an RSS 2.0 channel or an Atom feed, normalised. */
export interface FeedItem {
  /** guid (RSS) / id (Atom), else the link, else the title: the dedup key. */
  id: string;
  title: string | null;
  link: string | null;
  /** pubDate / published / updated as ISO-8601 UTC, or null when absent or unparsable. */
  published: string | null;
  summary: string | null;
}

type Node = Record<string, unknown>;

const asArray = (v: unknown): unknown[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Text of an element that may carry attributes (`{"#text": …, "@_attr": …}`) or be a bare value. */
function text(v: unknown): string | null {
  if (v === undefined || v === null) return null;
  if (typeof v === "string") return v.trim() || null;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  if (typeof v === "object" && "#text" in (v as Node)) return text((v as Node)["#text"]);
  return null;
}

function isoDate(v: unknown): string | null {
  const s = text(v);
  if (!s) return null;
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? null : new Date(ms).toISOString();
}

/** Atom `<link>`: prefer rel="alternate" (or no rel), else the first href. */
function atomLink(v: unknown): string | null {
  const links = asArray(v);
  const href = (l: unknown) => (typeof l === "object" && l !== null ? text((l as Node)["@_href"]) : text(l));
  const alt = links.find((l) => typeof l !== "object" || l === null || !(l as Node)["@_rel"] || (l as Node)["@_rel"] === "alternate");
  return href(alt ?? links[0]);
}

function rssItem(n: Node): FeedItem | null {
  const link = text(n.link);
  const title = text(n.title);
  const id = text(n.guid) ?? link ?? title;
  if (!id) return null;
  return { id, title, link, published: isoDate(n.pubDate ?? n["dc:date"]), summary: text(n.description) };
}

function atomEntry(n: Node): FeedItem | null {
  const link = atomLink(n.link);
  const title = text(n.title);
  const id = text(n.id) ?? link ?? title;
  if (!id) return null;
  return { id, title, link, published: isoDate(n.published ?? n.updated), summary: text(n.summary) ?? text(n.content) };
}

/**
 * Parses an RSS 2.0 (`<rss><channel><item>`, also RSS 1.0/RDF `<item>`) or Atom
 * (`<feed><entry>`) document into items in document order. Items without any usable
 * identity (no guid/id, link or title) are dropped. Throws an Error naming the problem
 * when the text is not well-formed XML, declares DTD entities, nests deeper than
 * FEED_MAX_DEPTH, or is not a feed — the poller records it as the trigger's last_error.
 */
export function parseFeed(xml: string): FeedItem[] {
  const NOT_FEED = "document is neither an RSS <rss>/<rdf:RDF> nor an Atom <feed>";
  if (!xml.replace(/^\uFEFF/, "").trimStart().startsWith("<")) throw new Error(NOT_FEED);
  // DTD entities are refused outright (no feed needs them; they are how expansion bombs work).
  // The five predefined XML entities and character references are still decoded.
  if (/<!ENTITY/i.test(xml)) throw new Error("feed declares DTD entities (<!ENTITY …>), which are refused (entity-expansion bombs)");
  let doc: Node;
  try {
    const valid = XMLValidator.validate(xml);
    if (valid !== true) throw new Error(`${valid.err.msg} (line ${valid.err.line})`);
    doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@_", processEntities: true, parseTagValue: false, maxNestedTags: FEED_MAX_DEPTH }).parse(xml) as Node;
  } catch (err) {
    throw new Error(`feed is not well-formed XML: ${(err as Error).message}`);
  }
  const rss = doc.rss as Node | undefined;
  if (rss && typeof rss === "object") {
    const channel = (rss.channel ?? {}) as Node;
    return asArray(channel.item).flatMap((i) => (typeof i === "object" && i ? [rssItem(i as Node)] : [])).filter((i): i is FeedItem => i !== null);
  }
  const rdf = doc["rdf:RDF"] as Node | undefined;
  if (rdf && typeof rdf === "object") {
    return asArray(rdf.item).flatMap((i) => (typeof i === "object" && i ? [rssItem(i as Node)] : [])).filter((i): i is FeedItem => i !== null);
  }
  const feed = doc.feed as Node | undefined;
  if (feed && typeof feed === "object") {
    return asArray(feed.entry).flatMap((e) => (typeof e === "object" && e ? [atomEntry(e as Node)] : [])).filter((i): i is FeedItem => i !== null);
  }
  throw new Error(NOT_FEED);
}
