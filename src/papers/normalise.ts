import { canonicalArxivId, type Paper, titleId } from './paper.ts';

/** What a source hands over for one record, before cleaning; only title and abstract are required. */
export interface RawPaper {
  /** Anything that may hold an arXiv id: an id, an `arXiv:` id, an abs/pdf URL. */
  arxivRef?: string | null | undefined;
  title?: unknown;
  abstract?: unknown;
  authors?: unknown;
  categories?: unknown;
  keywords?: unknown;
  pageUrl?: unknown;
  pdfUrl?: unknown;
  codeUrl?: unknown;
  publishedAt?: unknown;
  upvotes?: unknown;
  comments?: unknown;
  stars?: unknown;
}

/** A cleaned record ready to store: the display text plus the source's original text. */
export interface NormalisedPaper extends Omit<Paper, 'firstSeenAt'> {
  titleOriginal: string;
  abstractOriginal: string;
  /** Whether the source reports signals (a missing signal is then 0, not "unknown"). */
  hasSignals: boolean;
}

/** Why a record was not taken. */
export type SkipReason =
  | 'missing title'
  | 'missing abstract'
  | 'title too long'
  | 'abstract too large'
  | 'not an object';

export const MAX_TITLE_CHARS = 1_000;
export const MAX_ABSTRACT_CHARS = 20_000;
const MAX_LIST = 200;

// Control characters (but tab and newline) and the bidirectional overrides that can make text
// read differently than it is stored.
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
const UNSAFE_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const LATEX_COMMANDS =
  /\\(?:emph|textbf|textit|texttt|mathrm|mathbf|mathcal|mathbb|text|textsc|underline)\{([^{}]*)\}/g;

/** Text for display: no HTML, no common LaTeX markup, no control characters, single spaces. */
export function cleanText(text: string): string {
  return text
    .normalize('NFC')
    .replace(UNSAFE_CHARS, ' ')
    .replace(/<[^>]*>/g, ' ')
    .replace(
      /&(amp|lt|gt|quot|#39|apos);/g,
      (_m, entity: string) =>
        ({ amp: '&', lt: '<', gt: '>', quot: '"', '#39': "'", apos: "'" })[entity] ?? ' ',
    )
    .replace(LATEX_COMMANDS, '$1')
    .replace(/\\(?:cite|ref|label)\{[^{}]*\}/g, '')
    .replace(/\$([^$]{1,200})\$/g, '$1')
    .replace(/\\([%&_#$])/g, '$1')
    .replace(/\s+/g, ' ')
    .trim();
}

// PostgreSQL text cannot hold NUL, so not even the original keeps it.
const asText = (value: unknown): string => (typeof value === 'string' ? value.replaceAll('\u0000', '') : '');

const asList = (value: unknown): string[] =>
  Array.isArray(value)
    ? [
        ...new Set(
          value
            .map((item) => cleanText(asText(item)))
            .filter((item) => item.length > 0 && item.length <= 300),
        ),
      ].slice(0, MAX_LIST)
    : [];

const asCount = (value: unknown): number => {
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : Number.NaN;
  return Number.isFinite(n) && n > 0 ? Math.min(Math.floor(n), 10_000_000) : 0;
};

const asUrl = (value: unknown): string | null => {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value.trim());
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.toString() : null;
  } catch {
    return null;
  }
};

const asDate = (value: unknown): Date | null => {
  if (typeof value !== 'string' && !(value instanceof Date)) return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? null : date;
};

/** Cleans one raw record into a paper, or says why it cannot be one. */
export function normalisePaper(raw: RawPaper, hasSignals: boolean): NormalisedPaper | { skip: SkipReason } {
  const titleOriginal = asText(raw.title);
  const abstractOriginal = asText(raw.abstract);
  if (titleOriginal.length > MAX_TITLE_CHARS) return { skip: 'title too long' };
  if (abstractOriginal.length > MAX_ABSTRACT_CHARS) return { skip: 'abstract too large' };
  const title = cleanText(titleOriginal);
  const abstract = cleanText(abstractOriginal);
  if (!title) return { skip: 'missing title' };
  if (!abstract) return { skip: 'missing abstract' };
  const arxivId = raw.arxivRef ? canonicalArxivId(raw.arxivRef) : null;
  return {
    id: arxivId ?? titleId(title),
    title,
    abstract,
    titleOriginal,
    abstractOriginal,
    authors: asList(raw.authors),
    categories: asList(raw.categories),
    keywords: asList(raw.keywords),
    pageUrl: asUrl(raw.pageUrl) ?? (arxivId ? `https://arxiv.org/abs/${arxivId}` : null),
    pdfUrl: asUrl(raw.pdfUrl) ?? (arxivId ? `https://arxiv.org/pdf/${arxivId}` : null),
    codeUrl: asUrl(raw.codeUrl),
    publishedAt: asDate(raw.publishedAt),
    upvotes: asCount(raw.upvotes),
    comments: asCount(raw.comments),
    stars: asCount(raw.stars),
    hasSignals,
  };
}

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])];

/**
 * One paper from two sightings (two sources, or one source twice): the longest abstract, the
 * union of categories and keywords, the longer author list, links where one is missing, and the
 * signals of the sighting that has them (the later one when both do).
 */
export function mergePapers(earlier: NormalisedPaper, later: NormalisedPaper): NormalisedPaper {
  const longer = later.abstract.length > earlier.abstract.length ? later : earlier;
  const signals = later.hasSignals || !earlier.hasSignals ? later : earlier;
  return {
    ...earlier,
    title: earlier.title || later.title,
    abstract: longer.abstract,
    abstractOriginal: longer.abstractOriginal,
    authors: later.authors.length > earlier.authors.length ? later.authors : earlier.authors,
    categories: union(earlier.categories, later.categories),
    keywords: union(earlier.keywords, later.keywords),
    pageUrl: earlier.pageUrl ?? later.pageUrl,
    pdfUrl: earlier.pdfUrl ?? later.pdfUrl,
    codeUrl: later.codeUrl ?? earlier.codeUrl,
    publishedAt: earlier.publishedAt ?? later.publishedAt,
    upvotes: signals.upvotes,
    comments: signals.comments,
    stars: signals.stars,
    hasSignals: earlier.hasSignals || later.hasSignals,
  };
}

/** Folds duplicates inside one batch into one record each, first sighting first. */
export function dedupeBatch(papers: NormalisedPaper[]): { papers: NormalisedPaper[]; duplicates: number } {
  const byId = new Map<string, NormalisedPaper>();
  for (const paper of papers) {
    const seen = byId.get(paper.id);
    byId.set(paper.id, seen ? mergePapers(seen, paper) : paper);
  }
  return { papers: [...byId.values()], duplicates: papers.length - byId.size };
}
