import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { CsvError, parse } from 'csv-parse';
import { COLUMNS, type Column } from './columns.ts';

/** A file `import` cannot read at all (missing, not CSV, wrong header): nothing is imported. */
export class ImportFileError extends Error {
  override name = 'ImportFileError';
}

/** One data row of the file: its cells by column, or why its shape is wrong. */
export type CsvRow =
  | { line: number; cells: Partial<Record<Column, string>> }
  | { line: number; email?: string; error: string };

const KNOWN = new Set<string>(COLUMNS);

function parser() {
  // `raw` gives each record's text, from which its first line is worked out: a quoted field may span
  // lines, and csv-parse's own line count is off for CRLF files with line breaks inside quotes.
  return parse({ bom: true, skip_empty_lines: true, relax_column_count: true, raw: true });
}

/** Line breaks (CRLF, LF or CR) in `text`; csv-parse's raw text keeps only the CR of a CRLF record end. */
const countBreaks = (text: string) => text.match(/\r\n|\r|\n/g)?.length ?? 0;

/** Checks the header row and returns each position's column. */
function readHeader(file: string, record: string[]): Column[] {
  const names = record.map((name) => name.trim().toLowerCase());
  const unknown = names.filter((name) => !KNOWN.has(name));
  const twice = names.filter((name, i) => names.indexOf(name) !== i);
  const problems = [
    ...(names.includes('email') ? [] : ['no "email" column']),
    ...(unknown.length > 0 ? [`unknown column(s) ${unknown.map((n) => `"${n}"`).join(', ')}`] : []),
    ...(twice.length > 0 ? [`column(s) ${twice.map((n) => `"${n}"`).join(', ')} more than once`] : []),
  ];
  if (problems.length > 0)
    throw new ImportFileError(
      `${file}: ${problems.join('; ')} in the header row (columns: ${COLUMNS.join(', ')})`,
    );
  return names as Column[];
}

/**
 * Yields the file's data rows with their line numbers, streaming (the file is never held whole).
 * A file that is not CSV or whose header is wrong throws ImportFileError.
 */
export async function* readCsvRows(file: string): AsyncGenerator<CsvRow> {
  let header: Column[] | undefined;
  let breaks = 0; // line breaks before the current record
  try {
    for await (const { record, raw } of createReadStream(file).pipe(parser()) as AsyncIterable<{
      record: string[];
      raw: string;
    }>) {
      // A record's raw text starts with the empty lines skipped before it.
      const line = 1 + breaks + countBreaks(/^[\r\n]*/.exec(raw)?.[0] ?? '');
      breaks += countBreaks(raw);
      if (!header) {
        header = readHeader(file, record);
        continue;
      }
      if (record.length !== header.length) {
        const email = header.includes('email') ? record[header.indexOf('email')] : undefined;
        yield {
          line,
          ...(email ? { email } : {}),
          error: `${record.length} field(s) where the header has ${header.length}`,
        };
        continue;
      }
      const cells: Partial<Record<Column, string>> = {};
      header.forEach((column, i) => {
        cells[column] = record[i];
      });
      yield { line, cells };
    }
  } catch (error) {
    if (error instanceof CsvError) throw new ImportFileError(`${file}: not valid CSV: ${error.message}`);
    throw error;
  }
  if (!header) throw new ImportFileError(`${file}: empty; expected a header row with an "email" column`);
}

/**
 * Reads the whole file once without storing anything, so that a file which is not CSV, or has a
 * wrong header, changes nothing; returns how many data rows it has (for the progress bar).
 */
export async function countCsvRows(file: string): Promise<number> {
  const info = await stat(file).catch(() => null);
  if (!info?.isFile()) throw new ImportFileError(`${file}: no such file`);
  let rows = 0;
  for await (const _row of readCsvRows(file)) rows++;
  return rows;
}
