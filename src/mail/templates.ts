import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/emails/', import.meta.url));

/** A compiled email: fill it with values, get HTML and text. Filling is pure and fast. */
export interface EmailTemplate<Values> {
  html(values: Values): string;
  text(values: Values): string;
}

// Our own Handlebars environment: nothing registered elsewhere can change how emails escape.
const handlebars = Handlebars.create();

/** How the HTML part escapes every value: the template engine's own function, shared by the split templates. */
export const escapeHtml: (value: unknown) => string = (value) => handlebars.escapeExpression(value as string);

/** How the text part writes a value: as Handlebars does with `noEscape` (nothing for null/undefined). */
export const plainText = (value: unknown): string => (value == null ? '' : `${value}`);

/** The text part's blank lines: conditional lines left empty collapse to one blank line. */
export const collapseBlankLines = (text: string): string => text.replace(/\n{3,}/g, '\n\n');

/** An email part being joined from pieces; `run` counts the line breaks it ends with (text part). */
export interface Joined {
  text: string;
  run: number;
}

/** How one part of a split template is joined: fixed text prepared once, then appended per email. */
export interface PartWriter<Piece> {
  /** Fixed text (of the document, or of an item once rendered), prepared when first seen. */
  piece(text: string): Piece;
  add(out: Joined, piece: Piece): void;
  /** A reader's value, escaped as the part requires. */
  value(out: Joined, value: unknown): void;
}

/** The HTML part: fixed text as it is, values escaped by the template engine. */
export const htmlWriter: PartWriter<string> = {
  piece: (text) => text,
  add: (out, text) => {
    out.text += text;
  },
  value: (out, value) => {
    out.text += escapeHtml(value);
  },
};

/** Text with its leading and trailing line breaks counted, and its inner blank lines collapsed. */
interface TextPiece {
  lead: number;
  /** Empty when the text is nothing but line breaks (then all of them are `lead`). */
  body: string;
  trail: number;
}

const LINE_BREAKS = ['', '\n', '\n\n'];
const lineBreaks = (count: number): string => LINE_BREAKS[count] ?? '';

function textPiece(text: string): TextPiece {
  let lead = 0;
  while (text.charCodeAt(lead) === 10) lead++;
  if (lead === text.length) return { lead, body: '', trail: 0 };
  let end = text.length;
  while (text.charCodeAt(end - 1) === 10) end--;
  return { lead, body: collapseBlankLines(text.slice(lead, end)), trail: text.length - end };
}

function addTextPiece(out: Joined, { lead, body, trail }: TextPiece): void {
  // A run of line breaks may span pieces: it is written as its first two breaks, never more.
  const before = Math.min(out.run, 2);
  if (body === '') {
    out.run += lead;
    out.text += lineBreaks(Math.min(out.run, 2) - before);
    return;
  }
  out.text += lineBreaks(Math.min(before + lead, 2) - before) + body + lineBreaks(Math.min(trail, 2));
  out.run = trail;
}

/**
 * The text part: values written as they are, and blank lines collapsed as `collapseBlankLines`
 * collapses the joined text, while joining: that pass over every joined text was most of the
 * text part's cost.
 */
export const textWriter: PartWriter<TextPiece> = {
  piece: textPiece,
  add: addTextPiece,
  value: (out, value) => {
    const text = plainText(value);
    if (text.indexOf('\n') >= 0) addTextPiece(out, textPiece(text));
    else if (text !== '') {
      out.text += text;
      out.run = 0;
    }
  },
};

interface CompileOptions {
  /** Compile on this environment instead of the shared one (the splitter below). */
  environment?: typeof handlebars;
}

type Compiled<Values> = {
  html: Handlebars.TemplateDelegate<Values>;
  text: Handlebars.TemplateDelegate<Values>;
};

async function compileSources<Values>(
  name: string,
  dir: string,
  { environment = handlebars }: CompileOptions = {},
): Promise<Compiled<Values>> {
  const [mjmlSource, textSource] = await Promise.all([
    readFile(`${dir}${name}.mjml`, 'utf8'),
    readFile(`${dir}${name}.txt.hbs`, 'utf8'),
  ]);
  // Loaded on first use: MJML costs ~45 MB of memory, and a process that only plans never compiles a template.
  const { default: mjml2html } = await import('mjml');
  const { html, errors } = await mjml2html(mjmlSource, { validationLevel: 'strict', keepComments: false });
  if (errors.length > 0)
    throw new Error(`template ${name}.mjml: ${errors.map((e) => e.formattedMessage).join('; ')}`);
  return {
    html: environment.compile<Values>(html, { strict: false }),
    text: environment.compile<Values>(textSource, { noEscape: true }),
  };
}

/**
 * Compiles `NAME.mjml` (MJML with Handlebars placeholders) to HTML once, and `NAME.txt.hbs` as
 * the plain-text part. HTML values are escaped; the text part is not HTML, so it is not.
 */
export async function compileEmailTemplate<Values>(
  name: string,
  dir = TEMPLATES_DIR,
): Promise<EmailTemplate<Values>> {
  const compiled = await compileSources<Values>(name, dir);
  return {
    html: (values) => compiled.html(values),
    text: (values) => collapseBlankLines(compiled.text(values)),
  };
}

/** Fixed text around named holes: `head`, then each hole's value followed by its `text`. */
export interface Skeleton {
  head: string;
  rest: { hole: string; text: string }[];
}

/** One part (HTML or text) of a split template. */
export interface SplitPart {
  /** The document, with a hole for each per-email value and one for the list's items. */
  document: Skeleton;
  /** The list's `{{#each}}` body rendered for one item, with holes where `holeValue(name)` was given. */
  item(values: object): Skeleton;
}

/** An email template split once into fixed text, so that filling it for one reader is a join. */
export interface SplitEmailTemplate {
  html: SplitPart;
  text: SplitPart;
  /** Stands for the value `name` when rendering an item with holes; escaping leaves it as it is. */
  holeValue(name: string): string;
}

/**
 * Compiles NAME like `compileEmailTemplate`, then renders it once with a marker for each value in
 * `holes` and for the items of `{{#each LIST}}`, and splits the result at the markers. The items'
 * body stays the engine's compiled function, so an item rendered on its own is escaped and laid out
 * exactly as inside the document. Holes must be plain `{{value}}` uses, never a condition: the
 * document is rendered once with a marker in place of every value.
 */
export async function compileSplitEmailTemplate(
  name: string,
  { list, holes, dir = TEMPLATES_DIR }: { list: string; holes: readonly string[]; dir?: string },
): Promise<SplitEmailTemplate> {
  // Random per compile, so no text a source sends can pass for a marker.
  const nonce = randomBytes(9).toString('hex');
  const holeValue = (hole: string) => `\u0000${nonce}:${hole}\u0000`;
  const listMarker = [holeValue(list)];
  // The same helpers as the shared environment, except that `each` over the list is caught.
  const splitter = Handlebars.create();
  splitter.registerHelper(handlebars.helpers);
  const itemBodies: Handlebars.TemplateDelegate[] = [];
  const defaultEach = splitter.helpers.each as Handlebars.HelperDelegate;
  splitter.registerHelper(
    'each',
    function (this: unknown, context: unknown, options: Handlebars.HelperOptions) {
      if (context !== listMarker) return defaultEach.call(this, context, options);
      itemBodies.push(options.fn);
      return holeValue(list);
    },
  );
  const compiled = await compileSources<Record<string, unknown>>(name, dir, { environment: splitter });
  const values = Object.fromEntries([...holes.map((hole) => [hole, holeValue(hole)]), [list, listMarker]]);
  const open = `\u0000${nonce}:`;
  const split = (rendered: string): Skeleton => {
    let at = rendered.indexOf(open);
    const head = at < 0 ? rendered : rendered.slice(0, at);
    const rest: Skeleton['rest'] = [];
    while (at >= 0) {
      const nameEnd = rendered.indexOf('\u0000', at + open.length);
      const next = rendered.indexOf(open, nameEnd + 1);
      const hole = rendered.slice(at + open.length, nameEnd);
      rest.push({ hole, text: next < 0 ? rendered.slice(nameEnd + 1) : rendered.slice(nameEnd + 1, next) });
      at = next;
    }
    return { head, rest };
  };
  const splitPart = (template: Handlebars.TemplateDelegate): SplitPart => {
    itemBodies.length = 0;
    const document = split(template(values));
    const [body, ...others] = itemBodies;
    if (!body || others.length > 0)
      throw new Error(`template ${name}: expected one {{#each ${list}}} per part`);
    return { document, item: (item) => split(body(item)) };
  };
  return { html: splitPart(compiled.html), text: splitPart(compiled.text), holeValue };
}
