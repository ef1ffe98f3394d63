import { Router } from 'express';
import PostalMime from 'postal-mime';
import { notFound } from '../../errors.ts';
import { listCaptured, readCaptured } from '../../mail/capture-server.ts';
import type { PageRenderer } from '../pages.ts';

/** Browses the capture server's messages (development only: never mounted in production). */
export function outboxRoutes(dir: string, pages: PageRenderer): Router {
  const router = Router();

  router.get('/outbox', async (_req, res) => {
    const files = await listCaptured(dir);
    const messages = await Promise.all(
      files.slice(0, 200).map(async (file) => {
        const raw = await readCaptured(dir, file.name);
        const email = raw ? await PostalMime.parse(raw) : null;
        return {
          name: file.name,
          receivedAt: file.receivedAt.toISOString(),
          to: email?.to?.map((a) => a.address).join(', '),
          subject: email?.subject,
        };
      }),
    );
    res.send(pages.render('outbox', { title: 'Outbox', dir, messages }));
  });

  router.get('/outbox/:name', async (req, res) => {
    const raw = await readCaptured(dir, req.params.name);
    if (!raw) throw notFound('message');
    if (req.query.raw !== undefined) {
      res.type('text/plain').send(raw);
      return;
    }
    const email = await PostalMime.parse(raw);
    // The message's HTML is shown as it is, so it gets no scripts, no forms and no same-origin rights.
    res.setHeader(
      'Content-Security-Policy',
      "sandbox; default-src 'none'; img-src * data:; style-src 'unsafe-inline'",
    );
    res
      .type('html')
      .send(
        email.html ?? `<pre>${(email.text ?? '').replace(/[&<>]/g, (c) => `&#${c.charCodeAt(0)};`)}</pre>`,
      );
  });

  return router;
}
