import type { Deps } from '../deps.ts';
import type { Paper } from './paper.ts';
import { insertNewPapers } from './papers.queries.ts';
import { loadSamplePapers } from './sample.ts';

/** What one ingest of one source did. */
export interface IngestResult {
  source: string;
  fetched: number;
  created: number;
  updated: number;
  skipped: number;
  errors: number;
}

/** Stores `papers` from `source` (new ones only), recording the run in `ingest_runs`. */
export async function ingestPapers(deps: Deps, source: string, papers: Paper[]): Promise<IngestResult> {
  const run = await deps.db.ingestRun.create({ data: { source } });
  try {
    const created = await insertNewPapers(deps.db, papers, source);
    const result = {
      source,
      fetched: papers.length,
      created,
      updated: 0,
      skipped: papers.length - created,
      errors: 0,
    };
    await deps.db.ingestRun.update({
      where: { id: run.id },
      data: {
        status: 'succeeded',
        finishedAt: deps.now(),
        fetched: result.fetched,
        created,
        skipped: result.skipped,
      },
    });
    deps.log.info({ event: 'ingest.source_finished', ...result });
    return result;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    await deps.db.ingestRun.update({
      where: { id: run.id },
      data: { status: 'failed', finishedAt: deps.now(), message },
    });
    deps.log.error({ event: 'ingest.source_failed', source, error: message });
    throw error;
  }
}

/** Loads the bundled sample papers as first seen now; a second run adds nothing. */
export function ingestSample(deps: Deps): Promise<IngestResult> {
  return ingestPapers(deps, 'sample', loadSamplePapers(deps.now()));
}
