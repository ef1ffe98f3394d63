/** One entry of an Atom feed; every string is escaped when the feed is written. */
export interface AtomEntry {
  id: string;
  title: string;
  link: string | null;
  updated: Date;
  summary: string;
  authors: string[];
  categories: string[];
}

/** An Atom feed (RFC 4287). */
export interface AtomFeed {
  id: string;
  title: string;
  subtitle: string;
  selfUrl: string;
  siteUrl: string;
  updated: Date;
  entries: AtomEntry[];
}

const ENTITIES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
};

/** Text safe inside XML: markup escaped, and characters XML 1.0 forbids removed. */
export function xmlText(text: string): string {
  return (
    text
      // biome-ignore lint/suspicious/noControlCharactersInRegex: XML 1.0 forbids them; removing them is the point
      .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
      .replace(/[&<>"']/g, (c) => ENTITIES[c] ?? c)
  );
}

const entryXml = (entry: AtomEntry): string =>
  [
    '  <entry>',
    `    <id>${xmlText(entry.id)}</id>`,
    `    <title>${xmlText(entry.title)}</title>`,
    entry.link ? `    <link rel="alternate" href="${xmlText(entry.link)}"/>` : '',
    `    <updated>${entry.updated.toISOString()}</updated>`,
    ...entry.authors.map((name) => `    <author><name>${xmlText(name)}</name></author>`),
    ...entry.categories.map((term) => `    <category term="${xmlText(term)}"/>`),
    `    <summary type="text">${xmlText(entry.summary)}</summary>`,
    '  </entry>',
  ]
    .filter(Boolean)
    .join('\n');

/** Writes `feed` as an Atom document. */
export function atomXml(feed: AtomFeed): string {
  return [
    '<?xml version="1.0" encoding="utf-8"?>',
    '<feed xmlns="http://www.w3.org/2005/Atom">',
    `  <id>${xmlText(feed.id)}</id>`,
    `  <title>${xmlText(feed.title)}</title>`,
    `  <subtitle>${xmlText(feed.subtitle)}</subtitle>`,
    `  <link rel="self" type="application/atom+xml" href="${xmlText(feed.selfUrl)}"/>`,
    `  <link rel="alternate" type="text/html" href="${xmlText(feed.siteUrl)}"/>`,
    `  <updated>${feed.updated.toISOString()}</updated>`,
    '  <author><name>Paperboy</name></author>',
    ...feed.entries.map(entryXml),
    '</feed>',
    '',
  ].join('\n');
}
