/**
 * Ranking many readers on several threads, with exactly the results of `rankPapers` called for
 * each reader in turn on one index.
 *
 * Each thread indexes the day's papers itself (the index is pure and deterministic, so every
 * thread's is the same) and keeps it, with what its readers share, for the whole run. What a
 * single thread would share between readers is kept whole:
 * - readers with the same topics and interests go to the same thread, in their order, so they
 *   share one ranking made in the first such reader's order of topics;
 * - this side decides, in reader order, which new sets are remembered (at most SHARED_LIMIT);
 * - interests with the same meaningful words share one part, built from the run's first such
 *   text, and a topic slug means the run's first definition of it, whichever thread builds it.
 * Readers go out and results come back in chunks, as numbers in typed arrays (explanations once
 * per thread, then by number), so copying between threads stays small next to the ranking.
 *
 * The planner would start one pool per run (`RankerPool.start(ranker.index)`), call `rankMany`
 * for each batch of readers in place of `rankPapers` per reader, apply the empty-digest fallback
 * on its own index as now, and `close` the pool when the run ends.
 */
import { Worker } from 'node:worker_threads';
import type { Paper } from '../papers/paper.ts';
import { interestKey } from './parts.ts';
import type { RankingTopic } from './query.ts';
import { type PaperIndex, type Preferences, type RankedPaper, SHARED_LIMIT, sharedKey } from './rank.ts';

/** A reader as a thread gets it: topics by number in the run's topic table. */
export interface WireReader {
  topics: number[];
  interests: readonly string[];
  authors: readonly string[];
  excludes: readonly string[];
  limit: number;
  sent?: string[];
  /** Whether the reader's set of topics and interests, if new to the thread, is remembered. */
  admit: boolean;
}

/** Readers to rank, with the entries of the run's tables the thread has not had yet. */
export interface WireChunk {
  id: number;
  topics: RankingTopic[];
  partTexts: [string, string][];
  readers: WireReader[];
}

/** A chunk's results: `counts[r]` entries for reader r, one after another. */
export interface WireResult {
  id: number;
  counts: Int32Array<ArrayBuffer>;
  papers: Int32Array<ArrayBuffer>;
  scores: Float64Array<ArrayBuffer>;
  relevance: Float64Array<ArrayBuffer>;
  /** Each entry's explanation, by number in this thread's table. */
  explanations: Int32Array<ArrayBuffer>;
  /** Explanations new to this thread's table, in number order. */
  newExplanations: [readonly string[], readonly string[]][];
  /** Entries of followed authors' papers: entry number (in this chunk) and the authors. */
  authors: [number, string[]][];
}

/** Readers per message: large enough that messaging costs little, small enough to overlap work. */
const CHUNK = 1_000;
const NO_AUTHORS: string[] = Object.freeze([]) as unknown as string[];

interface Thread {
  worker: Worker;
  /** How much of the run's topic and text tables this thread has had. */
  topicsSent: number;
  textsSent: number;
  /** Explanations by number, as this thread made them. */
  explanations: { topics: string[]; terms: string[] }[];
  pending: WireReader[];
  pendingAt: number[];
}

export class RankerPool {
  private readonly topicIds = new Map<string, number>();
  private readonly topics: RankingTopic[] = [];
  private readonly partTexts: [string, string][] = [];
  private readonly textKeys = new Map<string, string>();
  private readonly knownTexts = new Set<string>();
  /** The sets remembered so far, as a single thread would (at most SHARED_LIMIT). */
  private readonly admitted = new Set<string>();
  private nextChunk = 0;
  private readonly waiting = new Map<
    number,
    { resolve: (result: WireResult) => void; reject: (error: Error) => void }
  >();
  private failure: Error | undefined;

  private constructor(
    private readonly index: PaperIndex,
    private readonly threads: Thread[],
  ) {
    for (const thread of threads) {
      thread.worker.on('message', (result: WireResult) => {
        const waiter = this.waiting.get(result.id);
        this.waiting.delete(result.id);
        waiter?.resolve(result);
      });
      thread.worker.on('error', (error) => this.fail(error));
      thread.worker.on('exit', (code) => {
        if (code !== 0) this.fail(new Error(`ranking thread stopped (exit code ${code})`));
      });
    }
  }

  /** Starts `threads` threads, each indexing the papers of `index` with its options. */
  static async start(index: PaperIndex, threads = 2): Promise<RankerPool> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error('threads must be a positive whole number');
    const started = Array.from({ length: threads }, () => {
      const worker = new Worker(new URL('./rank-worker.mjs', import.meta.url), {
        workerData: { papers: index.papers, options: index.options },
      });
      return new Promise<Thread>((resolve, reject) => {
        worker.once('message', () =>
          resolve({ worker, topicsSent: 0, textsSent: 0, explanations: [], pending: [], pendingAt: [] }),
        );
        worker.once('error', reject);
      });
    });
    return new RankerPool(index, await Promise.all(started));
  }

  /** Each reader's ranking, as `rankPapers` gives it; readers are taken in order, as by a single thread. */
  async rankMany(prefsList: readonly Preferences[]): Promise<RankedPaper[][]> {
    const results: RankedPaper[][] = new Array(prefsList.length);
    const chunks: Promise<void>[] = [];
    const send = (thread: Thread) => {
      const readers = thread.pending;
      const at = thread.pendingAt;
      thread.pending = [];
      thread.pendingAt = [];
      chunks.push(this.send(thread, readers).then((result) => this.decode(thread, result, at, results)));
    };
    for (const [k, prefs] of prefsList.entries()) {
      const texts = prefs.interests.filter((text) => text.trim());
      const key = sharedKey(prefs.topics, texts);
      let admit = this.admitted.has(key);
      if (!admit && this.admitted.size < SHARED_LIMIT) {
        this.admitted.add(key);
        admit = true;
      }
      for (const text of texts) this.learnText(text);
      const thread = this.threads[hash(key) % this.threads.length] as Thread;
      thread.pending.push({
        topics: prefs.topics.map((topic) => this.topicId(topic)),
        interests: prefs.interests,
        authors: prefs.authors,
        excludes: prefs.excludes,
        limit: prefs.limit,
        ...(prefs.alreadySent?.size ? { sent: [...prefs.alreadySent] } : {}),
        admit,
      });
      thread.pendingAt.push(k);
      if (thread.pending.length >= CHUNK) send(thread);
    }
    for (const thread of this.threads) if (thread.pending.length > 0) send(thread);
    await Promise.all(chunks);
    return results;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.worker.terminate()));
  }

  private topicId(topic: RankingTopic): number {
    let id = this.topicIds.get(topic.slug);
    if (id === undefined) {
      id = this.topics.length;
      this.topics.push(topic);
      this.topicIds.set(topic.slug, id);
    }
    return id;
  }

  /** Records the first text of each interest key, in reader order: the text its part is built from. */
  private learnText(text: string): void {
    if (this.textKeys.has(text)) return;
    const key = interestKey(text);
    this.textKeys.set(text, key);
    if (this.knownTexts.has(key)) return;
    this.knownTexts.add(key);
    this.partTexts.push([key, text]);
  }

  private send(thread: Thread, readers: WireReader[]): Promise<WireResult> {
    if (this.failure) return Promise.reject(this.failure);
    const chunk: WireChunk = {
      id: this.nextChunk++,
      topics: this.topics.slice(thread.topicsSent),
      partTexts: this.partTexts.slice(thread.textsSent),
      readers,
    };
    thread.topicsSent = this.topics.length;
    thread.textsSent = this.partTexts.length;
    return new Promise((resolve, reject) => {
      this.waiting.set(chunk.id, { resolve, reject });
      thread.worker.postMessage(chunk);
    });
  }

  private decode(thread: Thread, result: WireResult, at: number[], results: RankedPaper[][]): void {
    for (const [topics, terms] of result.newExplanations)
      thread.explanations.push({
        topics: Object.freeze(topics) as string[],
        terms: Object.freeze(terms) as string[],
      });
    const authors = new Map(result.authors);
    const { papers, trending, trendingRank } = this.index;
    let e = 0;
    for (const [r, k] of at.entries()) {
      const count = result.counts[r] as number;
      const ranked: RankedPaper[] = new Array(count);
      for (let j = 0; j < count; j++, e++) {
        const i = result.papers[e] as number;
        const { topics, terms } = thread.explanations[result.explanations[e] as number] as {
          topics: string[];
          terms: string[];
        };
        ranked[j] = {
          paper: papers[i] as Paper,
          score: result.scores[e] as number,
          relevance: result.relevance[e] as number,
          trending: trending[i] as number,
          why: {
            topics,
            terms,
            authors: authors.get(e) ?? NO_AUTHORS,
            trendingRank: trendingRank[i] ?? null,
          },
        };
      }
      results[k] = ranked;
    }
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const waiter of this.waiting.values()) waiter.reject(error);
    this.waiting.clear();
  }
}

/** A string's FNV-1a hash: which thread a set of topics and interests goes to. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let c = 0; c < text.length; c++) h = Math.imul(h ^ text.charCodeAt(c), 0x01000193);
  return h >>> 0;
}

/** Ranks every reader on `threads` threads (a pool for this call only); see `RankerPool`. */
export async function rankMany(
  index: PaperIndex,
  prefsList: readonly Preferences[],
  threads = 2,
): Promise<RankedPaper[][]> {
  const pool = await RankerPool.start(index, threads);
  try {
    return await pool.rankMany(prefsList);
  } finally {
    await pool.close();
  }
}
