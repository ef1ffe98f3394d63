import { LRUCache } from 'lru-cache';
import {
  compileSplitEmailTemplate,
  type EmailTemplate,
  htmlWriter,
  type Joined,
  type PartWriter,
  type Skeleton,
  type SplitPart,
  textWriter,
} from '../mail/templates.ts';
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
  /** In the reader's order: what is the reader's own (position, why) and what every reader sees. */
  papers: { position: number; why: string; paper: PaperView }[];
}

/** What a paper shows in every digest it is in. */
export interface PaperView {
  title: string;
  authors: string;
  summary: string;
  pageUrl: string;
  pdfUrl: string | null;
  codeUrl: string | null;
}

const SUMMARY_CHARS = 360;
const MAX_AUTHORS = 6;

/** The values the digest document shows outside its list of papers (its holes once split). */
const DOCUMENT_VALUES = [
  'subject',
  'preview',
  'heading',
  'intro',
  'dateLabel',
  'email',
  'manageUrl',
  'unsubscribeUrl',
  'viewUrl',
] as const satisfies readonly (keyof DigestValues)[];
type DocumentValue = (typeof DOCUMENT_VALUES)[number];

/**
 * Compiles the digest template; do it once per run, then fill it per reader. Filling joins text
 * split once: the document around the reader's values, and each paper's block (rendered by the
 * template engine the first time a paper is shown) around its position and reason.
 */
export async function compileDigestTemplate(): Promise<EmailTemplate<DigestValues>> {
  const split = await compileSplitEmailTemplate('digest', { list: 'papers', holes: DOCUMENT_VALUES });
  const itemHoles = { position: split.holeValue('position'), why: split.holeValue('why') };
  return {
    html: digestFiller(split.html, itemHoles, htmlWriter),
    text: digestFiller(split.text, itemHoles, textWriter),
  };
}

/** A skeleton whose fixed text is prepared for joining. */
interface Prepared<Piece> {
  head: Piece;
  rest: { hole: string; text: Piece }[];
}

function digestFiller<Piece>(
  part: SplitPart,
  itemHoles: { position: string; why: string },
  writer: PartWriter<Piece>,
): (values: DigestValues) => string {
  const prepare = ({ head, rest }: Skeleton): Prepared<Piece> => ({
    head: writer.piece(head),
    rest: rest.map(({ hole, text }) => ({ hole, text: writer.piece(text) })),
  });
  const document = prepare(part.document);
  // Keyed by the view, which lives as long as its paper is shown (see paperDisplay).
  const blocks = new WeakMap<PaperView, Prepared<Piece>>();
  const blockOf = (paper: PaperView) => {
    let block = blocks.get(paper);
    if (!block) {
      block = prepare(part.item({ ...itemHoles, paper }));
      blocks.set(paper, block);
    }
    return block;
  };
  return (values) => {
    const out: Joined = { text: '', run: 0 };
    writer.add(out, document.head);
    for (const { hole, text } of document.rest) {
      if (hole === 'papers') {
        for (const entry of values.papers) {
          const block = blockOf(entry.paper);
          writer.add(out, block.head);
          for (const item of block.rest) {
            writer.value(out, entry[item.hole as 'position' | 'why']);
            writer.add(out, item.text);
          }
        }
      } else writer.value(out, values[hole as DocumentValue]);
      writer.add(out, text);
    }
    return out.text;
  };
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
  const first = input.papers[0];
  const lead = first ? paperDisplay(first.paper) : undefined;
  return {
    subject: `${count} trending paper${count === 1 ? '' : 's'} for you: ${lead?.subjectTitle ?? ''}`,
    preview: lead?.previewTitle ?? '',
    heading: 'Today’s trending papers for you',
    intro: `${count} paper${count === 1 ? '' : 's'} picked for your topics, best first.`,
    dateLabel,
    email: input.email,
    ...input.links,
    papers: input.papers.map(({ paper, why }, index) => ({
      position: index + 1,
      why: typeof why === 'string' ? why : explain(why),
      paper: paperDisplay(paper).view,
    })),
  };
}

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];
const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

/**
 * `Friday, 20 November 2026`, as en-GB writes it. Spelled out rather than asked of Intl: the first
 * Intl call of a process costs ~20 ms, and the wording must not change with the ICU data installed.
 */
export function dateLabelOf(digestDate: string): string {
  // Every reader of a run has the same date or one of a few: the last label is kept.
  if (digestDate === lastDateLabel.digestDate) return lastDateLabel.label;
  const date = new Date(`${digestDate}T00:00:00Z`);
  const label = `${WEEKDAYS[date.getUTCDay()]}, ${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}`;
  lastDateLabel = { digestDate, label };
  return label;
}

let lastDateLabel = { digestDate: '', label: '' };

/** How a paper is shown: its block's fields, and its title as a digest's subject and preview. */
interface PaperDisplay {
  /** The same object each time: it keys the paper's rendered blocks. */
  view: PaperView;
  subjectTitle: string;
  previewTitle: string;
}

/** The fields of a paper its display is made from. */
type ShownFields = Pick<Paper, 'title' | 'abstract' | 'authors' | 'pageUrl' | 'pdfUrl' | 'codeUrl'>;

/** Worked out once per Paper object: a reader's digest looks each of its papers up here. */
const displayOf = new WeakMap<Paper, PaperDisplay>();

/**
 * And kept by paper id while what it shows is unchanged: the worker loads each batch's papers
 * afresh, and every batch of 100 readers rendered the day's papers again without this (~250 µs
 * per message, most of a message's cost). Bounded above a day's candidates, least recently shown
 * out first: a paper kept with its two blocks is ~7.5 KB, so at most ~22 MB.
 */
const displayById = new LRUCache<string, { shown: ShownFields; display: PaperDisplay }>({ max: 3_000 });

function paperDisplay(paper: Paper): PaperDisplay {
  let display = displayOf.get(paper);
  if (!display) {
    const kept = displayById.get(paper.id);
    if (kept && sameShownFields(kept.shown, paper)) display = kept.display;
    else {
      display = displayFor(paper);
      const { title, abstract, authors, pageUrl, pdfUrl, codeUrl } = paper;
      displayById.set(paper.id, {
        shown: { title, abstract, authors: [...authors], pageUrl, pdfUrl, codeUrl },
        display,
      });
    }
    displayOf.set(paper, display);
  }
  return display;
}

function sameShownFields(shown: ShownFields, paper: Paper): boolean {
  return (
    shown.title === paper.title &&
    shown.abstract === paper.abstract &&
    shown.pageUrl === paper.pageUrl &&
    shown.pdfUrl === paper.pdfUrl &&
    shown.codeUrl === paper.codeUrl &&
    shown.authors.length === paper.authors.length &&
    shown.authors.every((author, i) => author === paper.authors[i])
  );
}

function displayFor(paper: Paper): PaperDisplay {
  return {
    view: Object.freeze({
      title: oneLine(paper.title),
      authors: authorLine(paper.authors),
      summary: shorten(paper.abstract),
      pageUrl: pageUrl(paper),
      pdfUrl: paper.pdfUrl,
      codeUrl: paper.codeUrl,
    }),
    subjectTitle: oneLine(shorten(paper.title, 60)),
    previewTitle: oneLine(shorten(paper.title, 90)),
  };
}
