/** A ranking thread of `RankerPool` (many.ts): its own index of the day's papers, readers in chunks. */
import { parentPort, workerData } from 'node:worker_threads';
import type { WireChunk, WireResult } from './many.ts';
import type { RankingTopic } from './query.ts';
import {
  indexPapers,
  type RankablePaper,
  type RankedPaper,
  type RankingOptions,
  rankSharing,
} from './rank.ts';

const { papers, options } = workerData as { papers: RankablePaper[]; options: RankingOptions };
const index = indexPapers(papers, options);
const paperNumber = new Map(index.papers.map((paper, i) => [paper, i]));
const topics: RankingTopic[] = [];
/** Explanations already sent, by their (frozen, shared) terms array. */
const explained = new Map<readonly string[], number>();

function rankChunk(chunk: WireChunk): WireResult {
  topics.push(...chunk.topics);
  for (const [key, text] of chunk.partTexts) index.partTexts.set(key, text);
  const counts = new Int32Array(chunk.readers.length);
  const ranked: RankedPaper[] = [];
  chunk.readers.forEach((reader, r) => {
    const entries = rankSharing(
      index,
      {
        topics: reader.topics.map((id) => topics[id] as RankingTopic),
        interests: reader.interests,
        authors: reader.authors,
        excludes: reader.excludes,
        limit: reader.limit,
        ...(reader.sent ? { alreadySent: new Set(reader.sent) } : {}),
      },
      reader.admit,
    );
    counts[r] = entries.length;
    ranked.push(...entries);
  });
  const result: WireResult = {
    id: chunk.id,
    counts,
    papers: new Int32Array(ranked.length),
    scores: new Float64Array(ranked.length),
    relevance: new Float64Array(ranked.length),
    explanations: new Int32Array(ranked.length),
    newExplanations: [],
    authors: [],
  };
  ranked.forEach((entry, e) => {
    result.papers[e] = paperNumber.get(entry.paper) ?? -1;
    result.scores[e] = entry.score;
    result.relevance[e] = entry.relevance;
    let id = explained.get(entry.why.terms);
    if (id === undefined) {
      id = explained.size;
      explained.set(entry.why.terms, id);
      result.newExplanations.push([entry.why.topics, entry.why.terms]);
    }
    result.explanations[e] = id;
    if (entry.why.authors.length > 0) result.authors.push([e, entry.why.authors]);
  });
  return result;
}

parentPort?.on('message', (chunk: WireChunk) => {
  const result = rankChunk(chunk);
  parentPort?.postMessage(result, [
    result.counts.buffer,
    result.papers.buffer,
    result.scores.buffer,
    result.relevance.buffer,
    result.explanations.buffer,
  ]);
});
parentPort?.postMessage('ready');
