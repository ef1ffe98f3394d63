import type { SourceName } from '../src/config.ts';
import { type IngestResult, ingestFrom } from '../src/papers/ingest.ts';
import { createSources } from '../src/papers/sources/index.ts';
import type { PaperSource } from '../src/papers/sources/source.ts';
import type { Runtime } from './runtime.ts';

/** Ingests `date` from each source in turn; one source failing never stops the next. */
export async function ingestSources(
  runtime: Pick<Runtime, 'deps'>,
  sources: PaperSource[],
  date: string,
  onProgress?: (progress: IngestResult, done: boolean) => void,
): Promise<IngestResult[]> {
  const results: IngestResult[] = [];
  for (const source of sources) {
    const result = await ingestFrom(runtime.deps, source, date, (progress) => onProgress?.(progress, false));
    results.push(result);
    onProgress?.(result, true);
  }
  return results;
}

/** The configured sources (or the `names` given) for this runtime. */
export function configuredSources(
  runtime: Pick<Runtime, 'deps' | 'config'>,
  names?: SourceName[],
): PaperSource[] {
  return createSources(runtime.deps.db, runtime.config.sources, runtime.config.publicUrl, names);
}
