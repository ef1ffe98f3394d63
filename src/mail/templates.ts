import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import mjml2html from 'mjml';

const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/emails/', import.meta.url));

/** A compiled email: fill it with values, get HTML and text. Filling is pure and fast. */
export interface EmailTemplate<Values> {
  html(values: Values): string;
  text(values: Values): string;
}

// Our own Handlebars environment: nothing registered elsewhere can change how emails escape.
const handlebars = Handlebars.create();

/**
 * Compiles `NAME.mjml` (MJML with Handlebars placeholders) to HTML once, and `NAME.txt.hbs` as
 * the plain-text part. HTML values are escaped; the text part is not HTML, so it is not.
 */
export async function compileEmailTemplate<Values>(
  name: string,
  dir = TEMPLATES_DIR,
): Promise<EmailTemplate<Values>> {
  const [mjmlSource, textSource] = await Promise.all([
    readFile(`${dir}${name}.mjml`, 'utf8'),
    readFile(`${dir}${name}.txt.hbs`, 'utf8'),
  ]);
  const { html, errors } = await mjml2html(mjmlSource, { validationLevel: 'strict', keepComments: false });
  if (errors.length > 0)
    throw new Error(`template ${name}.mjml: ${errors.map((e) => e.formattedMessage).join('; ')}`);
  const htmlTemplate = handlebars.compile<Values>(html, { strict: false });
  const textTemplate = handlebars.compile<Values>(textSource, { noEscape: true });
  return {
    html: (values) => htmlTemplate(values),
    text: (values) => textTemplate(values).replace(/\n{3,}/g, '\n\n'),
  };
}
