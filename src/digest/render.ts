import { compileEmailTemplate, type EmailTemplate } from '../mail/templates.ts';
import type { Paper } from '../papers/paper.ts';
import { explain, type Why } from '../ranking/rank.ts';

/** What the digest template is filled with; every string is escaped by the template, not here. */
export interface DigestValues {
  subject: string;
  preview: string;
  heading: string;
  intro: string;
  dateLabel: string;
  email: string;
  manageUrl: string;
  unsubscribeUrl: string;
  viewUrl: string;
  papers: {
    position: number;
    title: string;
    authors: string;
    summary: string;
    why: string;
    pageUrl: string;
    pdfUrl: string | null;
    codeUrl: string | null;
  }[];
}

const SUMMARY_CHARS = 360;
const MAX_AUTHORS = 6;

/** Compiles the digest template; do it once per run, then fill it per reader. */
export function compileDigestTemplate(): Promise<EmailTemplate<DigestValues>> {
  return compileEmailTemplate<DigestValues>('digest');
}

/** The first `max` characters of `text`, cut at a word and marked with an ellipsis. */
export function shorten(text: string, max = SUMMARY_CHARS): string {
  const clean = text.replace(/\s+/g, ' ').trim();
  if (clean.length <= max) return clean;
  const cut = clean.slice(0, max);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), max / 2)).replace(/[\s,;:.]+$/, '')}…`;
}

/** A single line, whatever a source put in it: no control characters, no line breaks. */
function oneLine(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
  return text.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]+/g, ' ').trim();
}

function authorLine(authors: string[]): string {
  const names = authors.map(oneLine).filter(Boolean);
  return names.length > MAX_AUTHORS ? `${names.slice(0, MAX_AUTHORS).join(', ')} et al.` : names.join(', ');
}

/** The paper's page, or an arXiv title search for papers a source gave no link for. */
function pageUrl(paper: Paper): string {
  return (
    paper.pageUrl ?? `https://arxiv.org/search/?searchtype=title&query=${encodeURIComponent(paper.title)}`
  );
}

/** Fills a digest's template values for one reader's ranked papers. */
export function digestValues(input: {
  email: string;
  digestDate: string;
  papers: { paper: Paper; why: Why | string }[];
  links: { manageUrl: string; unsubscribeUrl: string; viewUrl: string };
}): DigestValues {
  const dateLabel = dateLabelOf(input.digestDate);
  const count = input.papers.length;
  const first = input.papers[0]?.paper.title ?? '';
  return {
    subject: `${count} trending paper${count === 1 ? '' : 's'} for you: ${oneLine(shorten(first, 60))}`,
    preview: oneLine(shorten(first, 90)),
    heading: 'Today’s trending papers for you',
    intro: `${count} paper${count === 1 ? '' : 's'} picked for your topics, best first.`,
    dateLabel,
    email: input.email,
    ...input.links,
    papers: input.papers.map(({ paper, why }, index) => ({
      position: index + 1,
      ...paperFields(paper),
      why: typeof why === 'string' ? why : explain(why),
    })),
  };
}

/** `Friday, 20 November 2026`: Intl formatting is slow, and a run has one or two dates. */
const dateLabels = new Map<string, string>();

function dateLabelOf(digestDate: string): string {
  let label = dateLabels.get(digestDate);
  if (!label) {
    label = new Date(`${digestDate}T00:00:00Z`).toLocaleDateString('en-GB', {
      weekday: 'long',
      day: 'numeric',
      month: 'long',
      year: 'numeric',
      timeZone: 'UTC',
    });
    if (dateLabels.size > 1000) dateLabels.clear();
    dateLabels.set(digestDate, label);
  }
  return label;
}

/** What a paper shows in every digest it is in: worked out once per paper, not once per reader. */
const fieldsOf = new WeakMap<Paper, ReturnType<typeof computePaperFields>>();

function paperFields(paper: Paper) {
  let fields = fieldsOf.get(paper);
  if (!fields) {
    fields = computePaperFields(paper);
    fieldsOf.set(paper, fields);
  }
  return fields;
}

function computePaperFields(paper: Paper) {
  return {
    title: oneLine(paper.title),
    authors: authorLine(paper.authors),
    summary: shorten(paper.abstract),
    pageUrl: pageUrl(paper),
    pdfUrl: paper.pdfUrl,
    codeUrl: paper.codeUrl,
  };
}
