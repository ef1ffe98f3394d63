import { readFile, stat } from 'node:fs/promises';
import { normalisePaper } from '../src/papers/normalise.ts';
import type { FileFormat } from '../src/papers/sources/file.ts';
import {
  FormatError,
  parseArxivAtom,
  parseArxivRss,
  parseHfDailyPapers,
  parseNormalisedJsonl,
} from '../src/papers/sources/formats.ts';
import { explain, indexPapers, type RankedPaper, rankPapers } from '../src/ranking/rank.ts';
import { TOPICS } from '../src/topics/taxonomy.ts';

/** What `paperboy rank` was asked. */
export interface RankRequest {
  papers: string;
  format?: FileFormat;
  topics: string[];
  interests: string[];
  authors: string[];
  excludes: string[];
  limit: number;
  now: Date;
}

/** A request `rank` cannot serve, said in one line. */
export class RankInputError extends Error {
  override name = 'RankInputError';
}

function formatOf(path: string, given: FileFormat | undefined): FileFormat {
  if (given) return given;
  if (/\.jsonl$/i.test(path)) return 'jsonl';
  if (/\.json$/i.test(path)) return 'hf';
  if (/\.(xml|atom|rss)$/i.test(path)) return 'arxiv';
  throw new RankInputError(`cannot tell the format of ${path}: pass --format hf|arxiv|jsonl`);
}

/** Reads a papers file and ranks it for the given preferences, without a database. */
export async function rankFile(request: RankRequest): Promise<RankedPaper[]> {
  const unknown = request.topics.filter((slug) => !TOPICS.some((topic) => topic.slug === slug));
  if (unknown.length > 0)
    throw new RankInputError(
      `unknown topic ${unknown.join(', ')} (see GET /api/topics or src/topics/taxonomy.ts)`,
    );
  if (request.interests.some((text) => text.trim() === ''))
    throw new RankInputError('--interest must not be empty');
  if (request.topics.length + request.interests.length + request.authors.length === 0) {
    throw new RankInputError('say what to rank for: --topic, --interest or --author');
  }
  const format = formatOf(request.papers, request.format);
  const info = await stat(request.papers).catch(() => null);
  if (!info?.isFile()) throw new RankInputError(`${request.papers}: no such file`);
  const body = await readFile(request.papers, 'utf8');
  let parsed: ReturnType<typeof parseHfDailyPapers>;
  try {
    parsed =
      format === 'hf'
        ? parseHfDailyPapers(body)
        : format === 'jsonl'
          ? parseNormalisedJsonl(body)
          : /<rss[\s>]/.test(body.slice(0, 2000))
            ? parseArxivRss(body)
            : parseArxivAtom(body);
  } catch (error) {
    if (error instanceof FormatError) throw new RankInputError(`${request.papers}: ${error.message}`);
    throw error;
  }
  const papers = parsed.records.flatMap((record) => {
    const paper = normalisePaper(record, format !== 'arxiv');
    return 'skip' in paper ? [] : [{ ...paper, firstSeenAt: request.now }];
  });
  if (papers.length === 0) throw new RankInputError(`${request.papers}: no papers in it`);
  const unique = [...new Map(papers.map((paper) => [paper.id, paper])).values()];
  return rankPapers(indexPapers(unique, { now: request.now }), {
    topics: TOPICS.filter((topic) => request.topics.includes(topic.slug)),
    interests: request.interests,
    authors: request.authors,
    excludes: request.excludes,
    limit: request.limit,
  });
}

/** The JSON shape of one result: stable for tools. */
export function rankedJson(entry: RankedPaper) {
  const round = (n: number) => Math.round(n * 10_000) / 10_000;
  return {
    id: entry.paper.id,
    title: entry.paper.title,
    score: round(entry.score),
    relevance: round(entry.relevance),
    trending: round(entry.trending),
    why: explain(entry.why),
  };
}
