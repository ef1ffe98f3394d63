import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { stringify } from 'csv-stringify';
import type { Deps } from '../deps.ts';
import type { SubscriberStatus } from '../generated/prisma/enums.ts';
import { COLUMNS, subscriberRecord } from './columns.ts';
import { findSubscribersForExport } from './export.queries.ts';

const BATCH = 1000;

/**
 * Writes every subscriber with one of `statuses` to `out` as CSV, in the columns
 * `importSubscribers` reads, so an export imports back unchanged; returns how many it wrote.
 * `end: false` leaves `out` open (stdout).
 */
export async function exportSubscribers(
  deps: Deps,
  statuses: readonly SubscriberStatus[],
  out: Writable,
  options: { end?: boolean } = {},
): Promise<number> {
  let count = -1; // the header is not a subscriber
  const counted = async function* () {
    for await (const record of exportRecords(deps, statuses)) {
      count++;
      yield record;
    }
  };
  await pipeline(Readable.from(counted()), stringify(), out, { end: options.end ?? true });
  return count;
}

/**
 * Yields the header and then one CSV record per subscriber with `statuses`, in the columns
 * `importSubscribers` reads, so an export imports back unchanged. Reads in id batches: the list is
 * never held in memory.
 */
async function* exportRecords(deps: Deps, statuses: readonly SubscriberStatus[]): AsyncGenerator<string[]> {
  yield [...COLUMNS];
  let afterId: string | null = null;
  for (;;) {
    const readers = await findSubscribersForExport(deps.db, statuses, afterId, BATCH);
    if (readers.length === 0) return;
    afterId = readers.at(-1)?.id ?? null;
    for (const reader of readers) {
      const of = (kind: string) =>
        reader.interests.filter((interest) => interest.kind === kind).map((interest) => interest.value);
      yield subscriberRecord({
        ...reader,
        topics: reader.topics.map((topic) => topic.topicSlug),
        interests: of('text'),
        authors: of('author'),
        excludes: of('exclude'),
      });
    }
  }
}
