import { type Request, Router } from 'express';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { SubscribeSchema } from '../../subscribers/subscribe.schema.ts';
import { subscribe } from '../../subscribers/subscribers.service.ts';
import { listTopics } from '../../topics/topics.queries.ts';
import { parseBody, requestContext } from '../middleware.ts';
import type { PageRenderer } from '../pages.ts';

const ACCEPTED = {
  status: 'pending_confirmation',
  message: 'Check your inbox to confirm your subscription.',
};

const asList = (value: unknown): unknown[] =>
  value === undefined || value === '' ? [] : Array.isArray(value) ? value : [value];

/** The landing form's fields as the API's JSON shape (checkboxes repeat; interests are one per line). */
function formToInput(body: Record<string, unknown>) {
  const interests =
    typeof body.interests === 'string' ? body.interests.split(/\r?\n/).map((line) => line.trim()) : [];
  return {
    email: body.email,
    topics: asList(body.topics),
    interests: interests.filter(Boolean),
    ...(body.timezone ? { timezone: body.timezone } : {}),
    ...(body.deliveryHour !== undefined && body.deliveryHour !== ''
      ? { deliveryHour: body.deliveryHour }
      : {}),
  };
}

/** Subscribing: the JSON API, the topic list, and the landing page's form. */
export function subscriptionRoutes(deps: Deps, pages: PageRenderer): Router {
  const router = Router();

  router.get('/api/topics', async (_req, res) => {
    res.json({ topics: await listTopics(deps.db) });
  });

  router.post('/api/subscriptions', async (req, res) => {
    if (!req.is('application/json'))
      throw new AppError(415, 'unsupported_media_type', 'send JSON (Content-Type: application/json)');
    await subscribe(deps, parseBody(SubscribeSchema, req.body), requestContext(req));
    res.status(202).json(ACCEPTED);
  });

  router.get('/', async (_req, res) => {
    res.send(
      pages.render('landing', {
        title: 'Trending papers in your inbox',
        topics: await listTopics(deps.db),
        form: {},
      }),
    );
  });

  router.post('/', async (req: Request, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    try {
      await subscribe(deps, parseBody(SubscribeSchema, formToInput(body)), requestContext(req));
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 400) throw error;
      const topics = await listTopics(deps.db);
      res.status(400).send(
        pages.render('landing', {
          title: 'Trending papers in your inbox',
          topics,
          error: error.message,
          form: formToInput(body),
        }),
      );
      return;
    }
    res.status(202).send(pages.render('check-inbox', { title: 'Check your inbox' }));
  });

  return router;
}
