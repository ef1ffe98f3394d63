import { XMLParser, XMLValidator } from 'fast-xml-parser';
import type { RawPaper } from '../normalise.ts';

/** Records read from one document, and how many entries in it could not be read at all. */
export interface ParsedBatch {
  records: RawPaper[];
  /** Entries that were not objects or lines that were not JSON: counted as skipped. */
  unreadable: number;
  /** Entries deliberately left out (arXiv replacements of old papers). */
  leftOut: number;
}

/** The document as a whole cannot be read (truncated, not JSON/XML, wrong shape). */
export class FormatError extends Error {
  override name = 'FormatError';
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const text = (value: unknown): string | undefined =>
  typeof value === 'string'
    ? value
    : isObj(value) && typeof value['#text'] === 'string'
      ? value['#text']
      : undefined;
const list = (value: unknown): unknown[] =>
  Array.isArray(value) ? value : value === undefined ? [] : [value];

/** One Hugging Face `daily_papers` item (fields may sit under `paper` or at the top, as the official client reads them). */
export function hfItemToRaw(item: unknown): RawPaper | null {
  if (!isObj(item)) return null;
  const paper = isObj(item.paper) ? item.paper : item;
  const pick = (key: string) => paper[key] ?? item[key];
  const id = typeof paper.id === 'string' ? paper.id : undefined;
  return {
    arxivRef: id,
    title: pick('title'),
    abstract: paper.summary ?? item.summary,
    authors: list(paper.authors).map((author) => (isObj(author) ? author.name : author)),
    keywords: pick('ai_keywords'),
    codeUrl: pick('githubRepo'),
    stars: pick('githubStars'),
    upvotes: paper.upvotes,
    comments: item.numComments,
    publishedAt: paper.publishedAt,
    pageUrl: id ? `https://huggingface.co/papers/${encodeURIComponent(id)}` : pick('projectPage'),
  };
}

/** A `daily_papers` JSON array (or JSON Lines of its items). */
export function parseHfDailyPapers(body: string): ParsedBatch {
  const items = parseJsonOrLines(body);
  const records: RawPaper[] = [];
  let unreadable = 0;
  for (const item of items) {
    const raw = item === undefined ? null : hfItemToRaw(item);
    if (raw) records.push(raw);
    else unreadable++;
  }
  return { records, unreadable, leftOut: 0 };
}

/** Paperboy's own normalised shape, one JSON object per line (a JSON array is accepted too). */
export function parseNormalisedJsonl(body: string): ParsedBatch {
  const records: RawPaper[] = [];
  let unreadable = 0;
  for (const item of parseJsonOrLines(body)) {
    if (!isObj(item)) {
      unreadable++;
      continue;
    }
    records.push({
      ...item,
      arxivRef:
        typeof item.arxivId === 'string' ? item.arxivId : typeof item.id === 'string' ? item.id : null,
    });
  }
  return { records, unreadable, leftOut: 0 };
}

/** A JSON array, or JSON Lines where an unreadable line is `undefined` (so it can be counted). */
function parseJsonOrLines(body: string): unknown[] {
  const trimmed = body.trim();
  if (trimmed.startsWith('[')) {
    try {
      return JSON.parse(trimmed) as unknown[];
    } catch (error) {
      throw new FormatError(`not valid JSON: ${(error as Error).message}`);
    }
  }
  if (trimmed === '') return [];
  if (!trimmed.startsWith('{')) throw new FormatError('expected a JSON array or JSON Lines');
  return trimmed.split(/\r?\n/).flatMap((line) => {
    if (line.trim() === '') return [];
    try {
      return [JSON.parse(line) as unknown];
    } catch {
      return [undefined];
    }
  });
}

const xml = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: '@_',
  removeNSPrefix: true,
  processEntities: true,
  htmlEntities: true,
  isArray: (name) => ['entry', 'item', 'author', 'link', 'category'].includes(name),
});

function parseXml(body: string): Obj {
  const valid = XMLValidator.validate(body);
  if (valid !== true) throw new FormatError(`not valid XML: ${valid.err.msg} (line ${valid.err.line})`);
  return xml.parse(body) as Obj;
}

/** An arXiv Atom document (query API); `total` is opensearch:totalResults. */
export function parseArxivAtom(body: string): ParsedBatch & { total: number } {
  const feed = parseXml(body).feed;
  if (!isObj(feed)) throw new FormatError('not an Atom feed');
  const entries = list(feed.entry);
  const first = entries[0];
  if (entries.length === 1 && isObj(first) && text(first.title)?.trim() === 'Error') {
    throw new FormatError(`arXiv answered with an error: ${text(first.summary)?.trim() ?? 'no detail'}`);
  }
  const records: RawPaper[] = [];
  let unreadable = 0;
  for (const entry of entries) {
    if (!isObj(entry)) {
      unreadable++;
      continue;
    }
    const links = list(entry.link).filter(isObj);
    records.push({
      arxivRef: text(entry.id),
      title: text(entry.title),
      abstract: text(entry.summary),
      authors: list(entry.author).map((author) => (isObj(author) ? text(author.name) : undefined)),
      categories: list(entry.category).map((category) => (isObj(category) ? category['@_term'] : undefined)),
      pdfUrl: links.find((link) => link['@_title'] === 'pdf')?.['@_href'],
      publishedAt: text(entry.published),
    });
  }
  return { records, unreadable, leftOut: 0, total: Number(text(feed.totalResults) ?? records.length) || 0 };
}

/** An arXiv listing RSS feed: new and cross-listed papers; replacements of old papers are left out. */
export function parseArxivRss(body: string): ParsedBatch {
  const channel = parseXml(body).rss;
  const items = isObj(channel) && isObj(channel.channel) ? list(channel.channel.item) : null;
  if (!items) throw new FormatError('not an RSS feed');
  const records: RawPaper[] = [];
  let unreadable = 0;
  let leftOut = 0;
  for (const item of items) {
    if (!isObj(item)) {
      unreadable++;
      continue;
    }
    const announce = text(item.announce_type)?.trim() ?? 'new';
    if (announce.startsWith('replace')) {
      leftOut++;
      continue;
    }
    const description = text(item.description) ?? '';
    records.push({
      arxivRef: text(item.guid) ?? text(item.link),
      title: text(item.title),
      abstract: description.replace(/^[\s\S]*?Abstract:\s*/, ''),
      authors: (text(item.creator) ?? '').split(/,\s*|\s+and\s+/),
      categories: list(item.category).map(text),
      publishedAt: text(item.pubDate),
    });
  }
  return { records, unreadable, leftOut };
}
