import type { Deps } from '../deps.ts';
import { metrics } from '../metrics.ts';
import { dedupeBatch, type NormalisedPaper, normalisePaper, type RawPaper } from './normalise.ts';
import type { PaperSource } from './sources/source.ts';
import { storePapers } from './store.ts';

/** What one ingest of one source did; `skipped` counts records not taken, by reason in `skippedBy`. */
export interface IngestResult {
  source: string;
  fetched: number;
  created: number;
  updated: number;
  unchanged: number;
  skipped: number;
  errors: number;
  skippedBy: Record<string, number>;
  error?: string;
}

function skip(result: IngestResult, reason: string, count = 1): void {
  if (count === 0) return;
  result.skipped += count;
  result.skippedBy[reason] = (result.skippedBy[reason] ?? 0) + count;
}

/**
 * Fetches `date` from `source` and stores it, one transaction per page, recording the run in
 * `ingest_runs`. A failing source is recorded and reported, never thrown: the other sources go
 * on, and pages stored before the failure stay as they are.
 */
export async function ingestFrom(
  deps: Deps,
  source: PaperSource,
  date: string,
  onBatch?: (progress: IngestResult) => void,
): Promise<IngestResult> {
  const run = await deps.db.ingestRun.create({ data: { source: source.name } });
  const result: IngestResult = {
    source: source.name,
    fetched: 0,
    created: 0,
    updated: 0,
    unchanged: 0,
    skipped: 0,
    errors: 0,
    skippedBy: {},
  };
  try {
    for await (const batch of source.batches(date)) {
      const { records, unreadable, leftOut } = batch.parsed;
      result.fetched += records.length + unreadable + leftOut;
      skip(result, 'unreadable entry', unreadable);
      skip(result, 'replacement of an old paper', leftOut);
      const papers: NormalisedPaper[] = [];
      for (const record of records) {
        const paper = normalisePaper(record, batch.hasSignals);
        if ('skip' in paper) skip(result, paper.skip);
        else papers.push(paper);
      }
      const unique = dedupeBatch(papers);
      skip(result, 'duplicate in batch (merged)', unique.duplicates);
      const counts = await deps.db.$transaction((tx) =>
        storePapers(tx, unique.papers, source.name, deps.now()),
      );
      result.created += counts.created;
      result.updated += counts.updated;
      result.unchanged += counts.unchanged;
      await batch.commit?.();
      onBatch?.(result);
    }
  } catch (error) {
    result.errors++;
    result.error = error instanceof Error ? error.message : String(error);
    deps.log.error({ event: 'ingest.source_failed', source: source.name, error: result.error });
  }
  await deps.db.ingestRun.update({
    where: { id: run.id },
    data: {
      status: result.errors > 0 ? 'failed' : 'succeeded',
      finishedAt: deps.now(),
      fetched: result.fetched,
      created: result.created,
      updated: result.updated,
      skipped: result.skipped,
      errors: result.errors,
      message: result.error ?? (result.skipped > 0 ? JSON.stringify(result.skippedBy) : null),
    },
  });
  countIngest(result);
  if (result.skipped > 0)
    deps.log.warn({ event: 'ingest.records_skipped', source: source.name, skippedBy: result.skippedBy });
  deps.log.info({ event: 'ingest.source_finished', ...result });
  return result;
}

/** Adds one finished run to the process's ingest counters (paperboy_ingest_*_total). */
function countIngest(result: IngestResult): void {
  const { source } = result;
  for (const outcome of ['created', 'updated', 'unchanged', 'skipped'] as const) {
    metrics.ingestRecords.inc({ source, result: outcome }, result[outcome]);
  }
  metrics.ingestRuns.inc({ source, status: result.errors > 0 ? 'failed' : 'ok' });
}

/** A source over records already in memory (the bundled sample, tests). */
export function memorySource(name: string, records: RawPaper[], hasSignals = false): PaperSource {
  return {
    name,
    async *batches() {
      yield { parsed: { records, unreadable: 0, leftOut: 0 }, hasSignals };
    },
  };
}
