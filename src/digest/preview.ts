import type { Deps } from '../deps.ts';
import type { DeliveryStatus, SubscriberStatus } from '../generated/prisma/enums.ts';
import { findPapersByIds } from '../papers/papers.queries.ts';
import { digestUrl, readerLinks } from '../subscribers/links.ts';
import { findAlreadySent } from './digest.queries.ts';
import { loadRankerForDate, rankReader } from './plan.ts';
import { findDeliveryForPreview, findReaderForPreview } from './preview.queries.ts';
import { compileDigestTemplate, type DigestValues, digestValues } from './render.ts';

/** A reader's digest for one date, rendered and never sent. */
export type DigestPreview =
  | { kind: 'unknown' }
  /** The reader would get no email that date (nothing matches, or their delivery has no papers). */
  | {
      kind: 'empty';
      readerStatus: SubscriberStatus;
      deliveryStatus: DeliveryStatus | null;
      candidates: number;
    }
  | {
      kind: 'digest';
      html: string;
      subject: string;
      papers: string[];
      readerStatus: SubscriberStatus;
      /** The status of the stored delivery shown, or null when the digest was ranked for the preview. */
      deliveryStatus: DeliveryStatus | null;
      /** Candidate papers ranked (null when a stored delivery was shown). */
      candidates: number | null;
    };

/**
 * Renders the digest `email` gets for `date` (YYYY-MM-DD) without sending it or writing anything.
 * When the reader has a delivery for that date, it shows that delivery's papers (what they got or
 * will get); otherwise it ranks the date's candidate papers for them as `digest run --date` would
 * (the 24 hours before the end of the date, or before now for today), minus papers they already had.
 */
export async function previewDigest(deps: Deps, email: string, date: string): Promise<DigestPreview> {
  const reader = await findReaderForPreview(deps.db, email);
  if (!reader) return { kind: 'unknown' };
  const digestDate = new Date(`${date}T00:00:00Z`);
  const delivery = await findDeliveryForPreview(deps.db, reader.id, digestDate);
  if (delivery) {
    const found = new Map(
      (
        await findPapersByIds(
          deps.db,
          delivery.papers.map((p) => p.paperId),
        )
      ).map((p) => [p.id, p]),
    );
    const papers = delivery.papers.flatMap(({ paperId, why }) => {
      const paper = found.get(paperId);
      return paper ? [{ paper, why }] : [];
    });
    const viewUrl = digestUrl(deps.config, reader, delivery.id);
    return render(deps, reader, date, papers, viewUrl, { deliveryStatus: delivery.status, candidates: null });
  }
  const ranker = await loadRankerForDate(deps, digestDate);
  const alreadySent = await findAlreadySent(deps.db, [reader.id], ranker.papers);
  const topicSlugs = reader.topics.map((row) => row.topicSlug);
  const ranked = rankReader(deps, ranker, { ...reader, topicSlugs }, alreadySent.get(reader.id));
  // Not planned yet, so there is no delivery to view in a browser: the link goes to the site.
  const papers = ranked.map((entry) => ({ paper: entry.paper, why: entry.why }));
  return render(deps, reader, date, papers, deps.config.publicUrl, {
    deliveryStatus: null,
    candidates: ranker.papers.length,
  });
}

let template: ReturnType<typeof compileDigestTemplate> | undefined;

async function render(
  deps: Deps,
  reader: NonNullable<Awaited<ReturnType<typeof findReaderForPreview>>>,
  date: string,
  papers: Parameters<typeof digestValues>[0]['papers'],
  viewUrl: string,
  about: { deliveryStatus: DeliveryStatus | null; candidates: number | null },
): Promise<DigestPreview> {
  if (papers.length === 0)
    return { kind: 'empty', readerStatus: reader.status, ...about, candidates: about.candidates ?? 0 };
  const values: DigestValues = digestValues({
    email: reader.email,
    digestDate: date,
    papers,
    links: { ...readerLinks(deps.config, reader), viewUrl },
  });
  template ??= compileDigestTemplate();
  return {
    kind: 'digest',
    html: (await template).html(values),
    subject: values.subject,
    papers: papers.map(({ paper }) => paper.title),
    readerStatus: reader.status,
    ...about,
  };
}
