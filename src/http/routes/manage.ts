import { type Request, type Response, Router } from 'express';
import type { Deps } from '../../deps.ts';
import { badRequest } from '../../errors.ts';
import { eraseData, exportData, requestManageLink, rotateLinks } from '../../subscribers/account.service.ts';
import { feedUrl } from '../../subscribers/links.ts';
import { LinkRequestSchema, PreferencesSchema } from '../../subscribers/subscribe.schema.ts';
import { preferencesFor, updatePreferences } from '../../subscribers/subscribers.service.ts';
import { listTopics } from '../../topics/topics.queries.ts';
import { CSRF_FIELD, csrfRefused } from '../csrf.ts';
import {
  fieldErrors,
  formBody,
  formToPreferences,
  groupTopics,
  hourOptions,
  timezones,
  tokenOf,
} from '../forms.ts';
import type { PageKit } from '../kit.ts';
import { parseBody, requestContext } from '../middleware.ts';

const FREQUENCIES = [
  { value: 'daily', label: 'Every day' },
  { value: 'weekdays', label: 'Monday to Friday' },
  { value: 'weekly', label: 'Once a week' },
];

const WEEKDAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** The preferences page behind every email's "Manage preferences" link, and its account actions. */
export function manageRoutes(deps: Deps, kit: PageKit): Router {
  const router = Router();
  const { pages } = kit;

  /** The manage page; `form` (a refused post) replaces the stored values so nothing typed is lost. */
  const show = async (
    token: unknown,
    extra: { form?: Record<string, unknown>; errors?: object; saved?: boolean } = {},
  ) => {
    const [prefs, topics] = await Promise.all([preferencesFor(deps, token), listTopics(deps.db)]);
    const values = { ...prefs, paused: prefs.status === 'paused', ...extra.form };
    const join = (list: unknown) => (Array.isArray(list) ? list.join('\n') : '');
    return pages.render('manage', {
      title: 'Your Paperboy preferences',
      token,
      prefs: {
        ...values,
        interests: join(values.interests),
        authors: join(values.authors),
        excludes: join(values.excludes),
      },
      status: prefs.status,
      pausable: ['active', 'paused'],
      groups: groupTopics(topics, Array.isArray(values.topics) ? values.topics : []),
      searchable: topics.length > 12,
      hours: hourOptions(values.deliveryHour),
      timezones: timezones(),
      frequencies: FREQUENCIES.map((f) => ({ ...f, selected: f.value === values.frequency })),
      weekdays: WEEKDAYS.map((label, day) => ({
        day,
        label,
        selected: day === Number(values.deliveryWeekday),
      })),
      feedUrl: feedUrl(deps.config, prefs.subscriber),
      errors: extra.errors ?? {},
      saved: extra.saved === true,
    });
  };

  const showLinkForm = (req: Request, res: Response, email: unknown = '', errors = {}) =>
    pages.render('manage-link', {
      title: 'Manage your subscription',
      csrf: kit.csrf.issue(req, res),
      csrfField: CSRF_FIELD,
      email,
      errors,
    });

  router.get('/manage', async (req, res) => {
    if (req.query.token === undefined) return void res.send(showLinkForm(req, res));
    res.send(await show(req.query.token, { saved: req.query.saved === '1' }));
  });

  router.post('/manage', async (req, res) => {
    const body = formBody(req);
    const token = tokenOf(req);
    try {
      await updatePreferences(
        deps,
        token,
        parseBody(PreferencesSchema, formToPreferences(body)),
        requestContext(req),
      );
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      return void res.status(400).send(await show(token, { form: formToPreferences(body), errors }));
    }
    // Post/redirect/get: a reload shows the page again instead of posting twice.
    res.redirect(303, `/manage?token=${encodeURIComponent(String(token))}&saved=1`);
  });

  router.post('/manage/link', kit.sendLimit, async (req, res) => {
    const body = formBody(req);
    try {
      const input = parseBody(LinkRequestSchema, { email: body.email });
      if (!kit.csrf.verify(req)) throw csrfRefused();
      await requestManageLink(deps, input);
    } catch (error) {
      const errors = fieldErrors(error);
      if (!errors) throw error;
      const status = errors.form ? 403 : 400;
      return void res.status(status).send(showLinkForm(req, res, body.email, errors));
    }
    res.status(202).send(pages.render('link-sent', { title: 'Check your inbox' }));
  });

  router.post('/manage/new-link', kit.sendLimit, async (req, res) => {
    await rotateLinks(deps, tokenOf(req));
    res.status(202).send(pages.render('link-sent', { title: 'Check your inbox', rotated: true }));
  });

  router.get('/manage/data', async (req, res) => {
    const data = await exportData(deps, req.query.token);
    res
      .set('Cache-Control', 'no-store')
      .attachment('paperboy-my-data.json')
      .type('application/json')
      .send(JSON.stringify(data, null, 2));
  });

  router.post('/manage/delete', async (req, res) => {
    const token = tokenOf(req);
    if (formBody(req).confirm !== 'yes') {
      const error = badRequest('Tick the box to confirm that everything should be deleted.', {
        field: 'confirm',
      });
      return void res.status(400).send(await show(token, { errors: fieldErrors(error) ?? {} }));
    }
    await eraseData(deps, token);
    res.send(pages.render('deleted', { title: 'Your data is deleted' }));
  });

  return router;
}
