import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const PAGES_DIR = fileURLToPath(new URL('../../templates/pages/', import.meta.url));

/** Renders server-side pages: `templates/pages/NAME.hbs` inside `layout.hbs`, every value escaped. */
export interface PageRenderer {
  render(name: string, values: Record<string, unknown> & { title: string }): string;
}

/** Compiles every page template once. */
export function createPageRenderer(dir = PAGES_DIR): PageRenderer {
  const handlebars = Handlebars.create();
  handlebars.registerHelper('eq', (a: unknown, b: unknown) => a === b);
  handlebars.registerHelper(
    'includes',
    (list: unknown, item: unknown) => Array.isArray(list) && list.includes(item),
  );
  const compile = (file: string) =>
    handlebars.compile(readFileSync(`${dir}${file}`, 'utf8'), { strict: false });
  const layout = compile('layout.hbs');
  const files = readdirSync(dir).filter((file) => file.endsWith('.hbs') && file !== 'layout.hbs');
  // `_name.hbs` files are partials (shared form parts), used as {{> name}}.
  for (const file of files.filter((name) => name.startsWith('_')))
    handlebars.registerPartial(file.slice(1, -4), readFileSync(`${dir}${file}`, 'utf8'));
  const pages = new Map(
    files.filter((file) => !file.startsWith('_')).map((file) => [file.replace(/\.hbs$/, ''), compile(file)]),
  );
  return {
    render(name, values) {
      const page = pages.get(name);
      if (!page) throw new Error(`no page template ${name}`);
      return layout({ ...values, body: page(values) });
    },
  };
}

/** The stylesheet every page links to. */
export const stylesheet = (dir = PAGES_DIR): string => readFileSync(`${dir}app.css`, 'utf8');

/** The small progressive-enhancement script (topic filter, time zone detection) every page loads. */
export const script = (dir = PAGES_DIR): string => readFileSync(`${dir}app.js`, 'utf8');
