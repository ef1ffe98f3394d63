import { readFileSync } from 'node:fs';
import { isoDate } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { type IngestResult, ingestFrom, memorySource } from './ingest.ts';
import { type NormalisedPaper, normalisePaper } from './normalise.ts';
import type { Paper } from './paper.ts';

const SAMPLE_FILE = new URL('./sample/trending-papers.json', import.meta.url);

function sampleRecords(): { title: string; abstract: string }[] {
  return JSON.parse(readFileSync(SAMPLE_FILE, 'utf8')) as { title: string; abstract: string }[];
}

/**
 * The bundled sample: the 119 papers of the page Paperboy grew from (title and abstract only),
 * normalised as any source's papers are. The page gives no ids, authors or signals, so none are
 * invented: ids are hashes of the titles.
 */
export function loadSamplePapers(now = new Date()): (NormalisedPaper & Paper)[] {
  return sampleRecords().flatMap((record) => {
    const paper = normalisePaper(record, false);
    return 'skip' in paper ? [] : [{ ...paper, firstSeenAt: now }];
  });
}

/** Loads the bundled sample papers as first seen now; a second run adds nothing. */
export function ingestSample(deps: Deps): Promise<IngestResult> {
  return ingestFrom(deps, memorySource('sample', sampleRecords()), isoDate(deps.now()));
}
