import { LRUCache } from 'lru-cache';
import { stemmer } from 'stemmer';

const STOPWORDS = new Set(
  (
    'a an and are as at be been being but by can could do does for from had has have how however i if in into is it its ' +
    'less more most my of on or our over so such than that the their them then there these they this those through to ' +
    'under up us use used using very via was we were what when where which while who why will with within without would ' +
    'you your about across after also among any both each either every further here just many much new not only other ' +
    'same should some still thing things way ways work works'
  ).split(' '),
);

/** British spellings folded to American ones, so "optimisation" and "optimization" meet. */
function americanise(word: string): string {
  return word
    .replace(/is(ation|ations|ed|es|ing|er|ers)$/, 'iz$1')
    .replace(/yse(s|d)?$/, 'yze$1')
    .replace(/our$/, 'or');
}

function words(text: string): string[] {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((word) => word.length > 0);
}

/**
 * The recently stemmed words: the same few thousand recur all day. Bounded, and recent rather than
 * first seen: the process lives for months, and each day brings words of its own.
 */
const stems = new LRUCache<string, string>({ max: 20_000 });

/** The Porter stem of a (lower-case) word, memoised. */
function stem(word: string): string {
  let stemmed = stems.get(word);
  if (stemmed === undefined) {
    stemmed = stemmer(americanise(word));
    stems.set(word, stemmed);
  }
  return stemmed;
}

/** Lower-cased, stemmed word tokens of `text`, punctuation dropped (so "few-shot" is "few shot"). */
export function tokenize(text: string): string[] {
  return words(text).map(stem);
}

/** The stemmed tokens of `text` that carry meaning: stopwords and single letters removed. */
export function contentTokens(text: string): string[] {
  return words(text)
    .filter((word) => !STOPWORDS.has(word) && word.length > 1)
    .map(stem);
}

/** How often the phrase (already tokenized) occurs in `tokens`. */
export function countPhrase(tokens: readonly string[], phrase: readonly string[]): number {
  if (phrase.length === 0) return 0;
  let count = 0;
  outer: for (let i = 0; i + phrase.length <= tokens.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (tokens[i + j] !== phrase[j]) continue outer;
    count++;
  }
  return count;
}
