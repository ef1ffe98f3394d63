import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, test } from 'vitest';
import { readCsvRows } from '../../../src/admin/csv-file.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'paperboy-csv-'));

/**
 * A file whose every data row names its own line (`lineN@example.com`), with empty lines, quoted
 * fields spanning lines, and short rows scattered through it; big enough to cross many read chunks.
 */
function numberedFile(eol: string, rows: number): string {
  const parts = ['\ufeffemail,interests'];
  let line = 2;
  for (let i = 0; i < rows; i++) {
    if (i % 997 === 3) parts.push('');
    else if (i % 1009 === 5) parts.push(`"line${line}@example.com","first${eol}second${eol}third"`);
    else if (i % 1013 === 7) parts.push(`line${line}@example.com`);
    else parts.push(`line${line}@example.com,"x, y"`);
    line += i % 1009 === 5 && i % 997 !== 3 ? 3 : 1;
  }
  const file = path.join(dir, `numbered-${eol === '\r\n' ? 'crlf' : 'lf'}.csv`);
  writeFileSync(file, `${parts.join(eol)}${eol}`);
  return file;
}

describe('readCsvRows: the line number of every row', () => {
  test.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('%s, across read chunks, with empty lines, quoted line breaks and short rows', async (_name, eol) => {
    const file = numberedFile(eol, 60_000);
    let rows = 0;
    let short = 0;
    let multi = 0;
    for await (const row of readCsvRows(file)) {
      rows++;
      const email = 'cells' in row ? row.cells.email : row.email;
      expect(email).toBe(`line${row.line}@example.com`);
      if ('error' in row) short++;
      else if (row.cells.interests?.includes('second')) multi++;
    }
    expect(rows).toBeGreaterThan(50_000);
    expect(short).toBeGreaterThan(10);
    expect(multi).toBeGreaterThan(10);
  });
});
