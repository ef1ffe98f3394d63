import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import CircuitBreaker from 'opossum';
import type { DeliveryConfig } from '../config.ts';
import { isoDate } from '../dates.ts';
import type { Deps } from '../deps.ts';
import { hashEmail } from '../log.ts';
import type { OutgoingMessage, SendResult } from '../mail/mailer.ts';
import { classifySmtpError } from '../mail/smtp-errors.ts';
import type { EmailTemplate } from '../mail/templates.ts';
import type { Paper } from '../papers/paper.ts';
import { findPapersByIds } from '../papers/papers.queries.ts';
import { digestUrl, readerLinks } from '../subscribers/links.ts';
import { loadDeliveries, type RenderableDelivery } from './digest.queries.ts';
import {
  type AcceptedMessage,
  claimBatch,
  expireStale,
  giveBack,
  markBounced,
  markFailed,
  releaseClaims,
  requeueInterrupted,
  scheduleRetry,
  skipClaimed,
  skipUnsendable,
} from './queue.queries.ts';
import { compileDigestTemplate, type DigestValues, digestValues } from './render.ts';
import { createTransitions, type Transition } from './transitions.ts';

/** How a sender works when the config says nothing (tests, tools): the documented defaults. */
export const DEFAULT_DELIVERY: Omit<DeliveryConfig, 'listId'> = {
  maxConnections: 5,
  ratePerSecond: 0,
  maxAttempts: 5,
  retryBaseMs: 60_000,
  breakerCooldownMs: 30_000,
  sendingTimeoutMs: 600_000,
  batchSize: 100,
  expireAfterMs: 6 * 3_600_000,
  unsubscribeMailto: undefined,
  dkim: undefined,
};

/** How often an idle worker looks for due rows, and how often anyone sweeps for interrupted sends. */
const POLL_MS = 1_000;
const SWEEP_MS = 10_000;
/** The longest wait between two attempts, however many there were. */
const MAX_RETRY_DELAY_MS = 6 * 3_600_000;

/** What happened to the rows a sender claimed. Every claimed row is in exactly one bucket. */
export interface SendTally {
  /** Distinct rows this sender took from the queue. */
  claimed: number;
  sent: number;
  failed: number;
  bounced: number;
  /** Not sent: the address is on the suppression list. */
  suppressed: number;
  /** Not sent: the reader is no longer active (unsubscribed, paused, bounced elsewhere, erased). */
  skipped: number;
  /** Back in the queue: a temporary failure to retry later, or untried when the breaker opened. */
  deferred: number;
}

type Outcome = Exclude<keyof SendTally, 'claimed'>;

export const emptyTally = (): SendTally => ({
  claimed: 0,
  sent: 0,
  failed: 0,
  bounced: 0,
  suppressed: 0,
  skipped: 0,
  deferred: 0,
});

/** A queue consumer: `drain` for one-shot runs, `run` until `stop` for the worker. */
export interface Sender {
  /** Sends every row due now (of `dates`, when given) until none is left or the breaker opens. */
  drain(dates?: Date[], onProgress?: (tally: SendTally) => void): Promise<SendTally>;
  /** Claims and sends until `stop()`; waits out an open breaker, then tries one message. */
  run(): Promise<void>;
  /** Stops claiming, lets in-flight messages finish, and gives back rows not yet tried. */
  stop(): Promise<void>;
  readonly workerId: string;
}

/**
 * The delay before attempt `attempt + 1`: `baseMs`·2^(attempt−1), spread by ±50 % jitter so that
 * rows failed together (the relay hiccuped) do not all come back in the same second.
 */
export function retryDelay(attempt: number, baseMs: number, random: () => number = Math.random): number {
  const exponential = baseMs * 2 ** Math.max(0, attempt - 1);
  return Math.min(MAX_RETRY_DELAY_MS, Math.round(exponential * (0.5 + random())));
}

/** The same Message-ID for the same reader and date, so a resend after an uncertain outcome is recognisable. */
export function digestMessageId(publicUrl: string, subscriberId: string, date: string): string {
  return `<digest.${date}.${subscriberId}@${hostOf(publicUrl)}>`;
}

/** The host of the public URL: every message needs it twice, and the URL hardly ever changes. */
const hosts = new Map<string, string>();

function hostOf(publicUrl: string): string {
  let host = hosts.get(publicUrl);
  if (host === undefined) {
    host = new URL(publicUrl).hostname;
    if (hosts.size >= 10) hosts.clear();
    hosts.set(publicUrl, host);
  }
  return host;
}

/** The filled template values of a delivery: its papers in their planned order, with their reasons. */
export function deliveryValues(
  deps: Pick<Deps, 'config'>,
  delivery: RenderableDelivery,
  papers: ReadonlyMap<string, Paper>,
  digestDate = isoDate(delivery.digestDate),
): DigestValues {
  const { subscriber } = delivery;
  const shown: { paper: Paper; why: string }[] = [];
  for (const entry of delivery.papers) {
    const paper = papers.get(entry.paperId);
    if (paper) shown.push({ paper, why: entry.why });
  }
  return digestValues({
    email: subscriber.email,
    digestDate,
    papers: shown,
    links: {
      ...readerLinks(deps.config, subscriber),
      viewUrl: digestUrl(deps.config, subscriber, delivery.id),
    },
  });
}

/** `deliveryValues` for one stored delivery, loading its papers. */
export async function digestValuesFor(deps: Deps, delivery: RenderableDelivery): Promise<DigestValues> {
  return deliveryValues(deps, delivery, await papersOf(deps, [delivery]));
}

async function papersOf(deps: Deps, deliveries: RenderableDelivery[]): Promise<Map<string, Paper>> {
  const ids = [...new Set(deliveries.flatMap((d) => d.papers.map((p) => p.paperId)))];
  return new Map((await findPapersByIds(deps.db, ids)).map((paper) => [paper.id, paper]));
}

/** The headers that make a digest a well-behaved bulk message (RFC 2369, RFC 8058, Gmail's Feedback-ID). */
export function digestHeaders(input: {
  unsubscribeUrl: string;
  unsubscribeMailto: string | undefined;
  listId: string;
  date: string;
  host: string;
}): Record<string, string> {
  // Parsing the link back is only needed for the mailto form, which most relays are not given.
  const mailto = input.unsubscribeMailto
    ? `, <mailto:${input.unsubscribeMailto}?subject=${encodeURIComponent(`unsubscribe ${tokenOf(input.unsubscribeUrl)}`)}>`
    : '';
  return {
    'List-Unsubscribe': `<${input.unsubscribeUrl}>${mailto}`,
    'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
    'List-Id': input.listId,
    // campaign:kind:product:sender; the same for every reader of a date, as Gmail asks.
    'Feedback-ID': `${input.date}:digest:paperboy:${input.host}`,
  };
}

function tokenOf(url: string): string {
  return new URL(url).searchParams.get('token') ?? '';
}

/** Builds the message of one delivery: a pure function of the delivery, its papers and the template. */
export function digestMessage(
  deps: Pick<Deps, 'config'>,
  template: EmailTemplate<DigestValues>,
  delivery: RenderableDelivery,
  papers: ReadonlyMap<string, Paper>,
  options: { listId: string; unsubscribeMailto: string | undefined },
): OutgoingMessage {
  const date = isoDate(delivery.digestDate);
  const values = deliveryValues(deps, delivery, papers, date);
  return {
    to: delivery.subscriber.email,
    subject: values.subject,
    html: template.html(values),
    text: template.text(values),
    messageId: digestMessageId(deps.config.publicUrl, delivery.subscriber.id, date),
    headers: digestHeaders({
      unsubscribeUrl: values.unsubscribeUrl,
      unsubscribeMailto: options.unsubscribeMailto,
      listId: options.listId,
      date,
      host: hostOf(deps.config.publicUrl),
    }),
  };
}

/** Rows claimed for this worker, with what rendering them needs. */
interface ClaimedBatch {
  ids: string[];
  batch: RenderableDelivery[];
  papers: Map<string, Paper>;
}

/** One SMTP connection's sequence of sends: the message it last had accepted, not yet recorded. */
interface Lane {
  accepted: AcceptedMessage | undefined;
}

/** Hooks for metrics and progress; all optional. */
export interface SenderHooks {
  /** After each row: its outcome, and for a sent row the seconds SMTP took. */
  onOutcome?(outcome: Outcome, seconds: number | null): void;
  onBreaker?(state: 'open' | 'halfOpen' | 'closed'): void;
}

/**
 * Creates a queue consumer sending through `deps.mailer` (one pooled transport per process):
 * claims batches of planned rows, sends up to `maxConnections` at a time, records each outcome
 * as it happens, so a crash leaves at most one message per connection in doubt.
 */
export function createSender(
  deps: Deps,
  overrides: Partial<DeliveryConfig> = {},
  hooks: SenderHooks = {},
): Sender {
  const settings = {
    ...DEFAULT_DELIVERY,
    listId: `Paperboy digest <digest.${new URL(deps.config.publicUrl).hostname}>`,
    ...deps.config.delivery,
    ...overrides,
  };
  const workerId = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  const breaker = new CircuitBreaker((message: OutgoingMessage) => deps.mailer.send(message), {
    timeout: false,
    errorThresholdPercentage: 80,
    volumeThreshold: 10,
    rollingCountTimeout: 30_000,
    resetTimeout: settings.breakerCooldownMs,
    // A refused recipient or message is about that reader, not the relay: it must not trip the breaker.
    errorFilter: (error: unknown) => classifySmtpError(error).kind !== 'temporary',
  });
  breaker.on('open', () => {
    deps.log.warn({ event: 'smtp.breaker_open', workerId, cooldownMs: settings.breakerCooldownMs });
    hooks.onBreaker?.('open');
  });
  breaker.on('halfOpen', () => hooks.onBreaker?.('halfOpen'));
  breaker.on('close', () => {
    deps.log.info({ event: 'smtp.breaker_closed', workerId });
    hooks.onBreaker?.('closed');
  });

  let template: EmailTemplate<DigestValues> | undefined;
  const transition: Transition = createTransitions(deps.db, workerId, deps.now);
  let lastSweep = 0;
  let stopping = false;
  let running: Promise<void> | undefined;
  let wake: (() => void) | undefined;

  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  async function sweep(): Promise<void> {
    const now = deps.now().getTime();
    if (now - lastSweep < SWEEP_MS) return;
    lastSweep = now;
    const requeued = await requeueInterrupted(deps.db, deps.now(), settings.sendingTimeoutMs);
    if (requeued > 0) deps.log.warn({ event: 'digest.interrupted_requeued', rows: requeued });
    // No worker ran for hours: yesterday's digest arriving today helps nobody.
    const expired = await expireStale(deps.db, deps.now(), settings.expireAfterMs);
    if (expired > 0) deps.log.warn({ event: 'digest.expired', rows: expired });
  }

  /**
   * Sends one claimed row on `lane` (one SMTP connection's worth of sequential sends). Every path
   * ends the row in a state, except a message the relay accepted: that one is recorded `sent` in
   * the same statement that moves the lane's next row to `sending` (or at the end of the lane), so a lane
   * never has more than one row whose outcome a crash would leave in doubt.
   */
  async function sendOne(
    delivery: RenderableDelivery,
    papers: ReadonlyMap<string, Paper>,
    lane: Lane,
  ): Promise<Outcome> {
    // Every paper of the plan was sent to this reader by a concurrent plan: nothing left to send.
    if (delivery.papers.length === 0) {
      await skipClaimed(deps.db, delivery.id, workerId, 'no papers left to send');
      return 'skipped';
    }
    template ??= await compileDigestTemplate();
    const accepted = lane.accepted;
    lane.accepted = undefined;
    // The message is built while the database answers (only synchronous code until the await),
    // and sent only if the answer says so: the re-check is still the last step before SMTP.
    const moved = transition(accepted, delivery.id);
    let message: OutgoingMessage | Error;
    try {
      message = digestMessage(deps, template, delivery, papers, settings);
    } catch (error) {
      message = error instanceof Error ? error : new Error(String(error));
    }
    const attempts = await moved;
    if (attempts === null)
      return (await skipUnsendable(deps.db, delivery.id, workerId, delivery.subscriber)) ?? 'skipped';
    if (message instanceof Error) {
      // One reader's bad data fails that reader's row, never the batch.
      await markFailed(deps.db, delivery.id, `could not render: ${message.message}`.slice(0, 500));
      return 'failed';
    }
    try {
      await (breaker.fire(message) as Promise<SendResult>);
      lane.accepted = { id: delivery.id, messageId: message.messageId as string, at: deps.now() };
      return 'sent';
    } catch (error) {
      if ((error as { code?: string }).code === 'EOPENBREAKER') {
        await giveBack(deps.db, delivery.id);
        return 'deferred';
      }
      const failure = classifySmtpError(error);
      deps.log.warn({
        event: 'digest.send_failed',
        deliveryId: delivery.id,
        who: hashEmail(delivery.subscriber.email),
        kind: failure.kind,
        code: failure.code,
        attempt: attempts,
        error: failure.message,
      });
      if (failure.kind === 'permanent') {
        await markBounced(
          deps.db,
          { id: delivery.id, subscriberId: delivery.subscriber.id, email: delivery.subscriber.email },
          failure.message,
        );
        return 'bounced';
      }
      if (failure.kind === 'rejected') {
        await markFailed(deps.db, delivery.id, `rejected by the relay: ${failure.message}`);
        return 'failed';
      }
      if (attempts >= settings.maxAttempts) {
        await markFailed(deps.db, delivery.id, `gave up after ${attempts} attempts: ${failure.message}`);
        return 'failed';
      }
      const next = new Date(deps.now().getTime() + retryDelay(attempts, settings.retryBaseMs));
      await scheduleRetry(deps.db, delivery.id, failure.message, next);
      return 'deferred';
    }
  }

  /** Sweeps, claims up to a batch of due rows, and loads what rendering them needs. */
  async function claimNext(dates: Date[] | undefined): Promise<ClaimedBatch> {
    await sweep();
    const ids = await claimBatch(deps.db, {
      workerId,
      now: deps.now(),
      leaseMs: settings.sendingTimeoutMs,
      // Half-open: one trial message tells whether the relay is back.
      limit: breaker.halfOpen ? 1 : settings.batchSize,
      dates,
    });
    if (ids.length === 0) return { ids, batch: [], papers: new Map() };
    const batch = await loadDeliveries(deps.db, ids);
    return { ids, batch, papers: await papersOf(deps, batch) };
  }

  /**
   * The next batch, claimed and loaded while the current one is sent, so the connections do not
   * idle between batches (the claim and the loads were ~11 % of a drain's time).
   */
  let prefetched: Promise<ClaimedBatch> | undefined;

  /** Gives back the batch claimed ahead when it will not be sent now (stopping, breaker open). */
  async function dropPrefetched(): Promise<void> {
    const pending = prefetched;
    prefetched = undefined;
    if (!pending) return;
    await pending.catch(() => undefined);
    await releaseClaims(deps.db, workerId);
  }

  /**
   * Takes one claimed batch (claimed ahead, or now) and sends it; returns the rows it claimed.
   * Rows deferred earlier in the same tally and claimed again count once in `claimed` and end in
   * one bucket.
   */
  async function sendBatch(
    dates: Date[] | undefined,
    tally: SendTally,
    deferredIds: Set<string>,
  ): Promise<number> {
    if (breaker.halfOpen) await dropPrefetched();
    const ahead = prefetched;
    prefetched = undefined;
    let claimed = await (ahead ?? claimNext(dates));
    // Claimed ahead and found nothing: rows the last batch put back (a retry due at once) may be due now.
    if (ahead && claimed.ids.length === 0) claimed = await claimNext(dates);
    const { ids, batch, papers } = claimed;
    if (ids.length === 0) return 0;
    for (const id of ids) {
      if (deferredIds.delete(id)) tally.deferred--;
      else tally.claimed++;
    }
    // A reader erased between the claim and the load takes their rows with them.
    tally.skipped += ids.length - batch.length;
    if (!breaker.halfOpen) {
      prefetched = claimNext(dates);
      // Awaited by the next batch or by dropPrefetched; a failure is reported there.
      prefetched.catch(() => undefined);
    }
    const tried = new Set<string>();
    let next = 0;
    const runLane = async () => {
      const lane: Lane = { accepted: undefined };
      for (let delivery = batch[next++]; delivery; delivery = batch[next++]) {
        if (stopping || breaker.opened) continue;
        tried.add(delivery.id);
        const started = performance.now();
        const outcome: Outcome = await sendOne(delivery, papers, lane).catch((error: unknown) => {
          // The database went away mid-row: the claim expires and the row is tried again.
          deps.log.error({ event: 'digest.send_error', deliveryId: delivery.id, err: error });
          return 'deferred' as const;
        });
        tally[outcome]++;
        if (outcome === 'deferred') deferredIds.add(delivery.id);
        hooks.onOutcome?.(outcome, outcome === 'sent' ? (performance.now() - started) / 1000 : null);
      }
      if (lane.accepted) await transition(lane.accepted, undefined);
    };
    await Promise.all(Array.from({ length: settings.maxConnections }, runLane));
    if (stopping || breaker.opened) await dropPrefetched();
    // Rows the loop above left alone (stopping, breaker open) go back to the queue untried.
    const untried = batch.filter((delivery) => !tried.has(delivery.id));
    if (untried.length > 0) {
      // Only these: the batch claimed ahead (if still held) is the next one to send.
      await releaseClaims(
        deps.db,
        workerId,
        untried.map((delivery) => delivery.id),
      );
      for (const { id } of untried) deferredIds.add(id);
      tally.deferred += untried.length;
    }
    return ids.length;
  }

  return {
    workerId,
    async drain(dates, onProgress) {
      const tally = emptyTally();
      const deferredIds = new Set<string>();
      lastSweep = 0;
      while (!stopping && !breaker.opened) {
        if ((await sendBatch(dates, tally, deferredIds)) === 0) break;
        onProgress?.(tally);
      }
      await dropPrefetched();
      tally.deferred = deferredIds.size;
      return tally;
    },
    run() {
      running ??= (async () => {
        const tally = emptyTally();
        const deferredIds = new Set<string>();
        while (!stopping) {
          if (breaker.opened) {
            await dropPrefetched().catch(() => {});
            await sleep(POLL_MS);
            continue;
          }
          let claimed = 0;
          try {
            claimed = await sendBatch(undefined, tally, deferredIds);
          } catch (error) {
            deps.log.error({ event: 'worker.batch_failed', workerId, err: error });
          }
          // The worker runs for days: its bookkeeping of deferred rows must not grow without end.
          if (deferredIds.size > 10_000) deferredIds.clear();
          if (claimed === 0 && !stopping) await sleep(POLL_MS);
        }
        await dropPrefetched().catch(() => {});
      })();
      return running;
    },
    async stop() {
      stopping = true;
      wake?.();
      await running;
      await releaseClaims(deps.db, workerId).catch(() => {});
      breaker.shutdown();
    },
  };
}
