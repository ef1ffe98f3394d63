import type { Paper } from '../papers/paper.ts';
import type { TopicDefinition } from '../topics/taxonomy.ts';
import { contentTokens, countPhrase, tokenize } from './text.ts';

/** What a reader asked for, as ranking needs it. */
export interface Preferences {
  topics: readonly Pick<TopicDefinition, 'slug' | 'name' | 'queryTerms'>[];
  interests: readonly string[];
  authors: readonly string[];
  excludes: readonly string[];
  limit: number;
  /** Papers this reader already received; never ranked again. */
  alreadySent?: ReadonlySet<string>;
}

/** Why a paper was chosen, short enough for one line of an email. */
export interface Why {
  topics: string[];
  terms: string[];
  authors: string[];
  trendingRank: number | null;
}

/** One ranked paper with its scores and explanation. */
export interface RankedPaper {
  paper: Paper;
  score: number;
  relevance: number;
  trending: number;
  why: Why;
}

const TITLE_WEIGHT = 3;
/** A paper must match at least this much to earn a place; weak matches do not pad a digest. */
const MIN_RELEVANCE = 1;

interface Indexed {
  paper: Paper;
  title: string[];
  abstract: string[];
  trending: number;
  trendingRank: number | null;
}

/** The day's papers tokenized once, with document frequencies; it serves every reader of a run. */
export interface PaperIndex {
  docs: Indexed[];
  /** How telling a word is in today's papers (BM25's idf): rare words weigh more than "network". */
  idf(token: string): number;
}

/**
 * A trending multiplier in [1, ∞): 1 for a paper nobody has voted on, growing with the log of
 * its signals, damped so that popularity reorders relevant papers rather than outvoting relevance.
 */
export function trendingScore(paper: Pick<Paper, 'upvotes' | 'comments' | 'stars'>): number {
  return 1 + 0.3 * Math.log1p(paper.upvotes + 2 * paper.comments + paper.stars / 10);
}

/** Tokenizes the day's papers once. */
export function indexPapers(papers: readonly Paper[]): PaperIndex {
  const byTrend = [...papers]
    .filter((paper) => trendingScore(paper) > 1)
    .sort((a, b) => trendingScore(b) - trendingScore(a) || a.id.localeCompare(b.id));
  const rank = new Map(byTrend.map((paper, index) => [paper.id, index + 1]));
  const docs = papers.map((paper) => ({
    paper,
    title: tokenize(paper.title),
    abstract: tokenize(paper.abstract),
    trending: trendingScore(paper),
    trendingRank: rank.get(paper.id) ?? null,
  }));
  const df = new Map<string, number>();
  for (const doc of docs)
    for (const token of new Set([...doc.title, ...doc.abstract])) df.set(token, (df.get(token) ?? 0) + 1);
  const n = docs.length;
  return {
    docs,
    idf: (token) => Math.log(1 + (n - (df.get(token) ?? 0) + 0.5) / ((df.get(token) ?? 0) + 0.5)),
  };
}

function phraseScore(doc: Indexed, phrase: string[]): number {
  const hits = TITLE_WEIGHT * countPhrase(doc.title, phrase) + countPhrase(doc.abstract, phrase);
  return hits === 0 ? 0 : 1 + Math.log(hits);
}

function matchesAuthor(paper: Paper, authors: readonly string[]): string[] {
  const names = paper.authors.map((name) => name.toLowerCase());
  return authors.filter((author) => names.includes(author.trim().toLowerCase()));
}

function excluded(doc: Indexed, excludes: readonly string[][]): boolean {
  return excludes.some((phrase) => countPhrase(doc.title, phrase) + countPhrase(doc.abstract, phrase) > 0);
}

/**
 * Ranks the day's papers for one reader: relevance to their topics and interests times the
 * trending signal. Followed authors' papers always make it; excluded words always keep a paper
 * out; the result holds at most `limit` papers, best first, ties broken by id.
 */
export function rankPapers(index: PaperIndex, prefs: Preferences): RankedPaper[] {
  const topicTerms = prefs.topics.map((topic) => ({ topic, phrases: topic.queryTerms.map(tokenize) }));
  const interestTokens = [...new Set(prefs.interests.flatMap(contentTokens))].map((token) => [token]);
  const excludes = prefs.excludes.map(tokenize).filter((phrase) => phrase.length > 0);
  const ranked: RankedPaper[] = [];
  for (const doc of index.docs) {
    if (prefs.alreadySent?.has(doc.paper.id) || excluded(doc, excludes)) continue;
    const why: Why = {
      topics: [],
      terms: [],
      authors: matchesAuthor(doc.paper, prefs.authors),
      trendingRank: doc.trendingRank,
    };
    let relevance = 0;
    for (const { topic, phrases } of topicTerms) {
      // The best-matching term counts fully, further terms a quarter: breadth helps, repetition less.
      let best = 0;
      let sum = 0;
      for (const phrase of phrases) {
        const score = phraseScore(doc, phrase);
        if (score > 0 && why.terms.length < 3) why.terms.push(phrase.join(' '));
        best = Math.max(best, score);
        sum += score;
      }
      const topicScore = best + (sum - best) / 4;
      if (topicScore > 0) why.topics.push(topic.name);
      relevance += topicScore;
    }
    for (const token of interestTokens) {
      const score = phraseScore(doc, token);
      if (score > 0 && why.terms.length < 3 && !why.terms.includes(token[0] ?? ''))
        why.terms.push(token.join(' '));
      relevance += score / 2;
    }
    if (relevance < MIN_RELEVANCE && why.authors.length === 0) continue;
    const authorBoost = why.authors.length > 0 ? 1000 : 0;
    ranked.push({
      paper: doc.paper,
      score: authorBoost + relevance * doc.trending,
      relevance,
      trending: doc.trending,
      why,
    });
  }
  ranked.sort((a, b) => b.score - a.score || a.paper.id.localeCompare(b.paper.id));
  return ranked.slice(0, prefs.limit);
}

/** "Graph neural networks · matched "gnn", "message passing" · trending #3" */
export function explain(why: Why): string {
  const parts: string[] = [];
  if (why.authors.length > 0) parts.push(`by ${why.authors.join(', ')}, whom you follow`);
  if (why.topics.length > 0) parts.push(why.topics.join(', '));
  if (why.terms.length > 0) parts.push(`matched ${why.terms.map((term) => `“${term}”`).join(', ')}`);
  if (why.trendingRank !== null) parts.push(`trending #${why.trendingRank}`);
  return parts.join(' · ');
}
