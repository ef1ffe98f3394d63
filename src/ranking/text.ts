const STOPWORDS = new Set(
  'a an and are as at be by for from has have how in into is it its of on or that the their this to was we were what when which with without via using use our can all new'.split(
    ' ',
  ),
);

/** Folds the most common English plural so "networks" matches "network". */
function stem(token: string): string {
  if (token.length > 4 && token.endsWith('ies')) return `${token.slice(0, -3)}y`;
  if (token.length > 3 && token.endsWith('s') && !token.endsWith('ss')) return token.slice(0, -1);
  return token;
}

/** Lower-cased, stemmed word tokens of `text`, punctuation dropped (so "few-shot" is "few shot"). */
export function tokenize(text: string): string[] {
  return text
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[\u0300-\u036f]/g, '')
    .split(/[^a-z0-9]+/)
    .filter((token) => token.length > 0)
    .map(stem);
}

/** The tokens of `text` that carry meaning (stopwords removed), for free-text interests. */
export function contentTokens(text: string): string[] {
  return tokenize(text).filter((token) => !STOPWORDS.has(token) && token.length > 1);
}

/** How often the phrase (already tokenized) occurs in `tokens`. */
export function countPhrase(tokens: readonly string[], phrase: readonly string[]): number {
  if (phrase.length === 0) return 0;
  let count = 0;
  for (let i = 0; i + phrase.length <= tokens.length; i++) {
    let match = true;
    for (let j = 0; j < phrase.length; j++) {
      if (tokens[i + j] !== phrase[j]) {
        match = false;
        break;
      }
    }
    if (match) count++;
  }
  return count;
}
