// Converts shared/seed/trending-papers-page.txt (the page Paperboy grew from) into the bundled
// sample data file. The page text is a header, then one title line and one abstract line per
// paper; titles and abstracts are kept exactly as they are. Run: node scripts/convert-seed.js SEED
import { readFileSync, writeFileSync } from 'node:fs';

const seed = process.argv[2] ?? '../shared/seed/trending-papers-page.txt';
const lines = readFileSync(seed, 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '');
// The header is two promise lines; the button's label "Subscribe" runs into the first title.
const body = lines.slice(2);
body[0] = body[0].replace(/^Subscribe/, '');
if (body.length % 2 !== 0) throw new Error(`expected title/abstract pairs, got ${body.length} lines`);
const papers = [];
for (let i = 0; i < body.length; i += 2) papers.push({ title: body[i], abstract: body[i + 1] });
writeFileSync('src/papers/sample/trending-papers.json', `${JSON.stringify(papers, null, 2)}\n`);
console.log(`wrote ${papers.length} papers`);
