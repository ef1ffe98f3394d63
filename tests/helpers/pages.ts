import type { Db } from '../../src/db.ts';
import { loadSamplePapers } from '../../src/papers/sample.ts';

/** Stores the bundled sample papers as first seen at `at` (only the columns every schema version has). */
export async function seedSamplePapers(db: Db, at: Date): Promise<number> {
  const papers = loadSamplePapers(at).map((p) => ({
    id: p.id,
    title: p.title,
    abstract: p.abstract,
    authors: p.authors,
    categories: p.categories,
    keywords: p.keywords,
    pageUrl: p.pageUrl,
    pdfUrl: p.pdfUrl,
    codeUrl: p.codeUrl,
    firstSeenAt: at,
    sources: ['sample'],
  }));
  const result = await db.paper.createMany({ data: papers, skipDuplicates: true });
  return result.count;
}

/** A browser-like session for form posts: it keeps the CSRF cookie and reads the form's CSRF field. */
export class FormSession {
  private cookie = '';
  constructor(private readonly baseUrl: string) {}

  /** GETs `path`, keeping any cookie set, and returns the page's HTML. */
  async open(path: string): Promise<{ status: number; html: string }> {
    const response = await fetch(`${this.baseUrl}${path}`, { headers: { cookie: this.cookie } });
    this.keep(response);
    return { status: response.status, html: await response.text() };
  }

  /** The CSRF field's value in `html`. */
  static csrfIn(html: string): string {
    return /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';
  }

  /** POSTs a urlencoded form with the session's cookie. */
  async post(path: string, fields: Record<string, string | string[]>, init: RequestInit = {}) {
    const body = new URLSearchParams();
    for (const [key, value] of Object.entries(fields))
      for (const item of Array.isArray(value) ? value : [value]) body.append(key, item);
    const response = await fetch(`${this.baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: this.cookie },
      body,
      redirect: 'manual',
      ...init,
    });
    this.keep(response);
    return { status: response.status, html: await response.text(), headers: response.headers };
  }

  private keep(response: Response): void {
    const set = response.headers.getSetCookie().map((c) => c.split(';')[0]);
    if (set.length > 0) this.cookie = set.join('; ');
  }
}
