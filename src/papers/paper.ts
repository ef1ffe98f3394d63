import { createHash } from 'node:crypto';

/** A paper as sources produce it and ranking consumes it, independent of storage. */
export interface Paper {
  id: string;
  title: string;
  abstract: string;
  authors: string[];
  categories: string[];
  keywords: string[];
  pageUrl: string | null;
  pdfUrl: string | null;
  codeUrl: string | null;
  publishedAt: Date | null;
  firstSeenAt: Date;
  upvotes: number;
  comments: number;
  stars: number;
}

const NEW_STYLE_ID = /(?:^|[^\d])(\d{4}\.\d{4,5})(?:v\d+)?(?:$|[^\d])/;
const OLD_STYLE_ID = /([a-z-]+(?:\.[A-Z]{2})?\/\d{7})(?:v\d+)?/;

/**
 * The arXiv id in `text` without version, prefix or URL (`2406.01234v3`, `arXiv:2406.01234`,
 * `https://arxiv.org/abs/hep-th/9901001v2` …), or null when there is none.
 */
export function canonicalArxivId(text: string): string | null {
  const trimmed = text.trim();
  const newStyle = NEW_STYLE_ID.exec(trimmed);
  if (newStyle?.[1]) return newStyle[1];
  const oldStyle = OLD_STYLE_ID.exec(trimmed);
  return oldStyle?.[1] ?? null;
}

/** Collapses whitespace and case so the same title from two sources compares equal. */
export function normaliseTitle(title: string): string {
  return title.normalize('NFKC').toLowerCase().replace(/\s+/g, ' ').trim();
}

/** The id of a paper without an arXiv id: a stable hash of its normalised title. */
export function titleId(title: string): string {
  return `t-${createHash('sha256').update(normaliseTitle(title)).digest('hex').slice(0, 16)}`;
}

/** A paper with no links, authors or signals beyond what is given. */
export function newPaper(
  fields: Pick<Paper, 'id' | 'title' | 'abstract' | 'firstSeenAt'> & Partial<Paper>,
): Paper {
  return {
    authors: [],
    categories: [],
    keywords: [],
    pageUrl: null,
    pdfUrl: null,
    codeUrl: null,
    publishedAt: null,
    upvotes: 0,
    comments: 0,
    stars: 0,
    ...fields,
  };
}
