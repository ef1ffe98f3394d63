// Builds the recorded source responses in tests/fixtures/sources from the bundled sample papers,
// in the shapes of shared/sources.md (Hugging Face daily_papers JSON, arXiv Atom and RSS). The
// ids, authors and signals are made up for the fixtures; titles and abstracts are the real ones.
// Run: node scripts/make-source-fixtures.js
import { readFileSync, writeFileSync } from 'node:fs';

const papers = JSON.parse(readFileSync('src/papers/sample/trending-papers.json', 'utf8'));
const dir = 'tests/fixtures/sources';
const id = (i) => `2611.${String(10_000 + i)}`;
const authors = (i) => [`Author ${i} One`, `Author ${i} Two`, ...(i % 3 === 0 ? [`Author ${i} Three`] : [])];
const xmlEscape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

const hfItem = (p, i) => ({
  paper: {
    id: id(i),
    title: p.title,
    summary: p.abstract,
    authors: authors(i).map((name, k) => ({ _id: `a${i}${k}`, name, hidden: false })),
    publishedAt: '2026-11-26T00:00:00.000Z',
    submittedOnDailyAt: '2026-11-27T00:00:00.000Z',
    upvotes: (i * 37) % 90,
    discussionId: `d${i}`,
    ai_summary: p.abstract.split('. ')[0],
    ai_keywords: p.title
      .toLowerCase()
      .split(/\W+/)
      .filter((w) => w.length > 6)
      .slice(0, 3),
    ...(i % 4 === 0 ? { githubRepo: `https://github.com/example/repo-${i}`, githubStars: i * 3 } : {}),
  },
  publishedAt: '2026-11-27T08:00:00.000Z',
  title: p.title,
  summary: p.abstract,
  thumbnail: `https://cdn-thumbnails.example/${id(i)}.png`,
  numComments: i % 5,
  submittedBy: { fullname: 'Someone', user: 'someone' },
  isAuthorParticipating: false,
});

writeFileSync(`${dir}/hf-daily-papers-p0.json`, JSON.stringify(papers.slice(0, 100).map(hfItem), null, 1));
writeFileSync(
  `${dir}/hf-daily-papers-p1.json`,
  JSON.stringify(
    papers.slice(100).map((p, k) => hfItem(p, k + 100)),
    null,
    1,
  ),
);

// arXiv's listing overlaps Hugging Face's on papers 90..118, with version suffixes on the ids.
const atomEntries = papers.slice(90).map((p, k) => {
  const i = k + 90;
  return `  <entry>
    <id>http://arxiv.org/abs/${id(i)}v${(i % 3) + 1}</id>
    <updated>2026-11-26T18:00:00Z</updated>
    <published>2026-11-26T17:00:00Z</published>
    <title>${xmlEscape(p.title.replace(/ /g, '\n  ', 1))}</title>
    <summary>  ${xmlEscape(p.abstract)}
</summary>
${authors(i)
  .map((name) => `    <author>\n      <name>${name}</name>\n    </author>`)
  .join('\n')}
    <arxiv:comment xmlns:arxiv="http://arxiv.org/schemas/atom">12 pages</arxiv:comment>
    <link href="http://arxiv.org/abs/${id(i)}v${(i % 3) + 1}" rel="alternate" type="text/html"/>
    <link title="pdf" href="http://arxiv.org/pdf/${id(i)}v${(i % 3) + 1}" rel="related" type="application/pdf"/>
    <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="cs.LG" scheme="http://arxiv.org/schemas/atom"/>
    <category term="${i % 2 ? 'stat.ML' : 'math.OC'}" scheme="http://arxiv.org/schemas/atom"/>
  </entry>`;
});
writeFileSync(
  `${dir}/arxiv-query.xml`,
  `<?xml version="1.0" encoding="UTF-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <link href="http://arxiv.org/api/query" rel="self" type="application/atom+xml"/>
  <title type="html">ArXiv Query: search_query=cat:cs.LG</title>
  <id>http://arxiv.org/api/recorded</id>
  <updated>2026-11-27T00:00:00-05:00</updated>
  <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">${atomEntries.length}</opensearch:totalResults>
  <opensearch:startIndex xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">0</opensearch:startIndex>
  <opensearch:itemsPerPage xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">200</opensearch:itemsPerPage>
${atomEntries.join('\n')}
</feed>
`,
);

const announce = ['new', 'cross', 'replace', 'new', 'replace-cross'];
const rssItems = papers.slice(0, 10).map((p, i) => {
  const type = announce[i % announce.length];
  return `    <item>
      <title>${xmlEscape(p.title)}</title>
      <link>https://arxiv.org/abs/${id(i)}</link>
      <description>arXiv:${id(i)}v1 Announce Type: ${type} 
Abstract: ${xmlEscape(p.abstract)}</description>
      <guid isPermaLink="false">oai:arXiv.org:${id(i)}v1</guid>
      <category>cs.LG</category>
      <pubDate>Fri, 27 Nov 2026 00:00:00 -0500</pubDate>
      <arxiv:announce_type>${type}</arxiv:announce_type>
      <dc:rights>http://creativecommons.org/licenses/by/4.0/</dc:rights>
      <dc:creator>${authors(i).join(', ')}</dc:creator>
    </item>`;
});
writeFileSync(
  `${dir}/arxiv-rss.xml`,
  `<?xml version='1.0' encoding='UTF-8'?>
<rss xmlns:arxiv="http://arxiv.org/schemas/atom" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:content="http://purl.org/rss/1.0/modules/content/" version="2.0">
  <channel>
    <title>cs.LG updates on arXiv.org</title>
    <link>http://rss.arxiv.org/rss/cs.LG</link>
    <description>cs.LG updates on the arXiv.org e-print archive.</description>
    <language>en-us</language>
${rssItems.join('\n')}
  </channel>
</rss>
`,
);
console.log('wrote fixtures to', dir);
