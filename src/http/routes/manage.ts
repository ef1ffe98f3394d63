import { Router } from 'express';
import type { Deps } from '../../deps.ts';
import { AppError } from '../../errors.ts';
import { PreferencesSchema } from '../../subscribers/subscribe.schema.ts';
import { preferencesFor, updatePreferences } from '../../subscribers/subscribers.service.ts';
import { listTopics } from '../../topics/topics.queries.ts';
import { parseBody, requestContext } from '../middleware.ts';
import type { PageRenderer } from '../pages.ts';

const lines = (value: unknown): string[] =>
  typeof value === 'string'
    ? value
        .split(/\r?\n/)
        .map((line) => line.trim())
        .filter(Boolean)
    : [];

/** The manage page's form fields as PreferencesSchema's shape. */
function formToPreferences(body: Record<string, unknown>) {
  const topics = body.topics === undefined ? [] : Array.isArray(body.topics) ? body.topics : [body.topics];
  return {
    topics,
    interests: lines(body.interests),
    authors: lines(body.authors),
    excludes: lines(body.excludes),
    timezone: body.timezone,
    deliveryHour: body.deliveryHour,
  };
}

/** The preferences page behind every email's "Manage preferences" link. */
export function manageRoutes(deps: Deps, pages: PageRenderer): Router {
  const router = Router();
  const show = async (token: unknown, extra: Record<string, unknown> = {}) => {
    const [prefs, topics] = await Promise.all([preferencesFor(deps, token), listTopics(deps.db)]);
    return pages.render('manage', {
      title: 'Your Paperboy preferences',
      token,
      prefs: {
        ...prefs,
        interests: prefs.interests.join('\n'),
        authors: prefs.authors.join('\n'),
        excludes: prefs.excludes.join('\n'),
      },
      selected: prefs.topics,
      topics,
      hours: Array.from({ length: 24 }, (_, hour) => ({
        hour,
        label: `${String(hour).padStart(2, '0')}:00`,
        selected: hour === prefs.deliveryHour,
      })),
      ...extra,
    });
  };

  router.get('/manage', async (req, res) => {
    res.send(await show(req.query.token));
  });

  router.post('/manage', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const token = req.query.token ?? body.token;
    try {
      await updatePreferences(
        deps,
        token,
        parseBody(PreferencesSchema, formToPreferences(body)),
        requestContext(req),
      );
    } catch (error) {
      if (!(error instanceof AppError) || error.status !== 400) throw error;
      res.status(400).send(await show(token, { error: error.message }));
      return;
    }
    res.send(await show(token, { saved: true }));
  });

  return router;
}
