import type { Db } from '../db.ts';
import type { RankingTopic } from '../ranking/query.ts';
import { TOPICS, type TopicDefinition } from './taxonomy.ts';

const BUILT_IN = new Map(TOPICS.map((topic) => [topic.slug, topic]));

/** Inserts or updates every built-in topic by slug; topics no longer built in are left for their subscribers. */
export async function syncTopics(db: Db, topics: readonly TopicDefinition[] = TOPICS): Promise<void> {
  for (const topic of topics) {
    const data = {
      name: topic.name,
      description: topic.description,
      groupName: topic.group,
      queryTerms: topic.queryTerms,
      arxivCategories: topic.arxivCategories,
    };
    await db.topic.upsert({
      where: { slug: topic.slug },
      create: { slug: topic.slug, ...data },
      update: data,
    });
  }
}

/** A topic as the API and pages show it. */
export interface TopicSummary {
  slug: string;
  name: string;
  group: string;
  description: string;
}

/** All topics, grouped order then name. */
export async function listTopics(db: Db): Promise<TopicSummary[]> {
  const rows = await db.topic.findMany({ orderBy: [{ groupName: 'asc' }, { name: 'asc' }] });
  return rows.map((row) => ({
    slug: row.slug,
    name: row.name,
    group: row.groupName,
    description: row.description,
  }));
}

/** The slugs among `slugs` that are not topics. */
export async function findUnknownTopics(db: Db, slugs: string[]): Promise<string[]> {
  const known = await db.topic.findMany({ where: { slug: { in: slugs } }, select: { slug: true } });
  const knownSet = new Set(known.map((row) => row.slug));
  return slugs.filter((slug) => !knownSet.has(slug));
}

/** One topic with the terms ranking matches it by, or null when `slug` is not a topic. */
export async function findTopic(db: Db, slug: string) {
  if (!/^[a-z0-9-]{1,64}$/.test(slug)) return null;
  return db.topic.findUnique({
    where: { slug },
    select: { slug: true, name: true, description: true, queryTerms: true },
  });
}

/**
 * Every topic by slug, as ranking takes it: the built-in definition (with its synonyms) where the
 * topic is still built in, the stored one where it is not. Read once per run, so that reading a
 * reader reads only their topics' slugs.
 */
export async function findRankingTopics(db: Db): Promise<Map<string, RankingTopic>> {
  const rows = await db.topic.findMany({ select: { slug: true, name: true, queryTerms: true } });
  return new Map(rows.map((row) => [row.slug, BUILT_IN.get(row.slug) ?? row]));
}
