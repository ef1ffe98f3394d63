import type { ParsedBatch } from './formats.ts';

/** One page of one source, stored in one transaction. */
export interface SourceBatch {
  parsed: ParsedBatch;
  /** Whether records carry trending signals (upvotes, comments, stars). */
  hasSignals: boolean;
  /** Called after the batch is stored: remembers validators for the next conditional request. */
  commit?: () => Promise<void>;
}

/** A place papers come from: a day's papers, a page at a time. Unchanged since last time yields nothing. */
export interface PaperSource {
  name: string;
  batches(date: string): AsyncGenerator<SourceBatch>;
}
