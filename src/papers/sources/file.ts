import { readFile, stat } from 'node:fs/promises';
import {
  FormatError,
  type ParsedBatch,
  parseArxivAtom,
  parseArxivRss,
  parseHfDailyPapers,
  parseNormalisedJsonl,
} from './formats.ts';
import type { PaperSource } from './source.ts';

/** The file formats `ingest --file` reads. */
export const FILE_FORMATS = ['hf', 'arxiv', 'jsonl'] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const MAX_FILE_BYTES = 200 * 1024 * 1024;

function parseFile(body: string, format: FileFormat): ParsedBatch {
  if (format === 'hf') return parseHfDailyPapers(body);
  if (format === 'jsonl') return parseNormalisedJsonl(body);
  return /<rss[\s>]/.test(body.slice(0, 2000)) ? parseArxivRss(body) : parseArxivAtom(body);
}

/** A file in the Hugging Face shape, an arXiv Atom or RSS document, or Paperboy's JSON Lines. */
export function fileSource(path: string, format: FileFormat): PaperSource {
  return {
    name: 'file',
    async *batches() {
      const info = await stat(path).catch(() => null);
      if (!info?.isFile()) throw new FormatError(`${path} is not a readable file`);
      if (info.size > MAX_FILE_BYTES) throw new FormatError(`${path} is larger than ${MAX_FILE_BYTES} bytes`);
      const parsed = parseFile(await readFile(path, 'utf8'), format);
      yield { parsed, hasSignals: format !== 'arxiv' };
    },
  };
}
