import { type Request, type Response, Router } from 'express';
import type { Deps } from '../../deps.ts';
import { trendingToday } from '../../digest/archive.ts';
import { AppError } from '../../errors.ts';
import { SubscribeSchema } from '../../subscribers/subscribe.schema.ts';
import { subscribe } from '../../subscribers/subscribers.service.ts';
import { listTopics } from '../../topics/topics.queries.ts';
import { CSRF_FIELD, csrfRefused } from '../csrf.ts';
import {
  fieldErrors,
  formBody,
  formToSubscribe,
  groupTopics,
  hourOptions,
  safeUrl,
  timezones,
} from '../forms.ts';
import type { PageKit } from '../kit.ts';
import { parseBody, requestContext } from '../middleware.ts';

const ACCEPTED = {
  status: 'pending_confirmation',
  message: 'Check your inbox to confirm your subscription.',
};
const PREVIEW_PAPERS = 5;
const joined = (list: unknown) => (Array.isArray(list) ? list.join('\n') : '');
/** The honeypot: a field people never see (hidden by the stylesheet) and bots fill in. */
const HONEYPOT = 'website';

/** Subscribing: the JSON API, the topic list, and the landing page with its form. */
export function subscriptionRoutes(deps: Deps, kit: PageKit): Router {
  const router = Router();

  const landing = async (req: Request, res: Response, form: Record<string, unknown>, errors = {}) => {
    const [topics, preview] = await Promise.all([listTopics(deps.db), trendingToday(deps, PREVIEW_PAPERS)]);
    const selected = Array.isArray(form.topics) ? form.topics : [];
    return kit.pages.render('landing', {
      title: 'Trending papers in your inbox',
      csrf: kit.csrf.issue(req, res),
      csrfField: CSRF_FIELD,
      groups: groupTopics(topics, selected),
      searchable: topics.length > 12,
      preview: preview.map((paper) => ({ ...paper, pageUrl: safeUrl(paper.pageUrl) })),
      hours: hourOptions(form.deliveryHour ?? 8),
      timezones: timezones(),
      form: {
        email: form.email,
        timezone: form.timezone,
        interests: joined(form.interests),
        authors: joined(form.authors),
      },
      errors,
    });
  };

  router.get('/api/topics', async (_req, res) => {
    res.json({ topics: await listTopics(deps.db) });
  });

  router.post('/api/subscriptions', kit.sendLimit, async (req, res) => {
    if (!req.is('application/json'))
      throw new AppError(415, 'unsupported_media_type', 'send JSON (Content-Type: application/json)');
    await subscribe(deps, parseBody(SubscribeSchema, req.body), requestContext(req));
    res.status(202).json(ACCEPTED);
  });

  router.get('/', async (req, res) => {
    res.send(await landing(req, res, {}));
  });

  router.post('/', kit.sendLimit, async (req, res) => {
    const body = formBody(req);
    const checkInbox = () => kit.pages.render('check-inbox', { title: 'Check your inbox' });
    // A filled honeypot gets the ordinary answer, so a bot learns nothing; nothing is stored or sent.
    if (body[HONEYPOT]) return void res.status(202).send(checkInbox());
    try {
      const input = parseBody(SubscribeSchema, formToSubscribe(body));
      if (!kit.csrf.verify(req)) throw csrfRefused();
      await subscribe(deps, input, requestContext(req));
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors || !(error instanceof AppError)) throw error;
      res.status(error.status).send(await landing(req, res, formToSubscribe(body), errors));
      return;
    }
    res.status(202).send(checkInbox());
  });

  return router;
}
