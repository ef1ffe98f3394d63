import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { runDigest } from '../../src/digest/run.ts';
import { ingestSample } from '../../src/papers/sample.ts';
import { readerLinks } from '../../src/subscribers/links.ts';
import { launchChromium, screenshot, seriousViolations } from '../helpers/browser.ts';
import { createSubscriber } from '../helpers/factories.ts';
import { type Harness, startHarness } from '../helpers/harness.ts';

vi.setConfig({ testTimeout: 90_000 });

let h: Harness;
let browser: Browser;
let context: BrowserContext;
/** Every Content-Security-Policy complaint the browser logged: there must be none. */
const cspErrors: string[] = [];

beforeAll(async () => {
  browser = await launchChromium();
  h = await startHarness();
  context = await browser.newContext({ viewport: { width: 390, height: 844 }, timezoneId: 'Europe/Berlin' });
});
afterAll(async () => {
  await context?.close();
  await browser?.close();
  await h?.close();
});

async function newPage(): Promise<Page> {
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) cspErrors.push(message.text());
  });
  return page;
}

/** Asserts the page has no serious or critical accessibility problems, then keeps a screenshot. */
async function check(page: Page, name: string): Promise<void> {
  expect(await seriousViolations(page), `axe on ${name}`).toEqual([]);
  await screenshot(page, name);
}

const linkIn = (text: string | undefined, path: string) => {
  const match = new RegExp(`${h.baseUrl}${path}\\?token=[\\w.-]+`).exec(text ?? '');
  if (!match) throw new Error(`no ${path} link in:\n${text}`);
  return match[0];
};

test('subscribe with the topic picker → confirm → digest → manage → unsubscribe → resubscribe', async () => {
  const email = 'browser.reader@example.com';
  const page = await newPage();
  await page.goto(`${h.baseUrl}/`);
  await expect
    .poll(() => page.getByRole('heading', { level: 1 }).textContent())
    .toBe('Get trending papers in your email inbox once a day!');
  // The script detected the browser's time zone; the field stays editable.
  expect(await page.getByLabel(/^Time zone/).inputValue()).toBe('Europe/Berlin');
  await check(page, '01-landing');

  // The topic filter narrows the list as one types.
  await page.getByLabel('Filter topics').fill('graph');
  expect(await page.getByLabel('Optimization for deep learning').isVisible()).toBe(false);
  await page.getByLabel('Graph neural networks').check();
  await page.getByLabel('Filter topics').fill('');
  await page.getByLabel('Transformers and in-context learning').check();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel(/^Your interests/).fill('message passing on large graphs');
  await page.getByLabel('Delivery hour').selectOption('7');
  await screenshot(page, '02-landing-filled');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await check(page, '03-check-inbox');
  const pending = await h.db.subscriber.findUniqueOrThrow({ where: { email }, include: { topics: true } });
  expect(pending).toMatchObject({ status: 'pending', timezone: 'Europe/Berlin', deliveryHour: 7 });
  expect(pending.topics.map((t) => t.topicSlug).sort()).toEqual(['graph-neural-networks', 'transformers']);

  const confirmation = await h.sink.waitFor(email);
  await page.goto(linkIn(confirmation.email.text, '/confirm'));
  await check(page, '04-confirm');
  await page.getByRole('button', { name: 'Confirm subscription' }).click();
  await page.getByRole('heading', { name: 'Welcome to Paperboy' }).waitFor();
  await check(page, '05-welcome');
  expect((await h.db.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('active');

  await ingestSample(h.deps);
  expect((await runDigest(h.deps)).sent).toBe(1);
  const digest = await h.sink.waitFor(email, (m) => m.email.subject?.includes('trending paper') ?? false);
  await page.goto(linkIn(digest.email.text, '/manage'));
  await check(page, '06-manage');
  await page.getByLabel('Transformers and in-context learning').uncheck();
  await page.getByLabel('Computer vision').check();
  await page.getByLabel('Once a week').check();
  await page.getByLabel(/^Papers per email/).fill('5');
  await page.getByRole('button', { name: 'Save' }).click();
  await page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor();
  await check(page, '07-manage-saved');
  const saved = await h.db.subscriber.findUniqueOrThrow({ where: { email }, include: { topics: true } });
  expect(saved).toMatchObject({ frequency: 'weekly', maxPapers: 5 });
  expect(saved.topics.map((t) => t.topicSlug).sort()).toEqual(['computer-vision', 'graph-neural-networks']);

  await page.goto(linkIn(digest.email.text, '/unsubscribe'));
  await check(page, '08-unsubscribe');
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.getByRole('heading', { name: 'You are unsubscribed' }).waitFor();
  await check(page, '09-unsubscribed');
  expect((await h.db.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('unsubscribed');
  await page.getByRole('button', { name: 'Resubscribe' }).click();
  await page.getByRole('heading', { name: 'Welcome back' }).waitFor();
  await check(page, '10-resubscribed');
  expect((await h.db.subscriber.findUniqueOrThrow({ where: { email } })).status).toBe('active');

  expect(cspErrors).toEqual([]);

  // "View in browser" shows the email's own HTML under its own stricter policy, which also keeps
  // the template's web-font stylesheet from telling a third party that the reader looked.
  await page.goto(
    new RegExp(`${h.baseUrl}/digest/[\\w-]+\\?token=[\\w.-]+`).exec(digest.email.text ?? '')?.[0] ?? '',
  );
  await page.getByText('Manage preferences').first().waitFor();
  await screenshot(page, '11-digest-archive');
  cspErrors.length = 0;
});

test('the other pages pass axe too: link request, errors, pause, delete, not found', async () => {
  const page = await newPage();
  await page.goto(`${h.baseUrl}/`);
  await page.getByLabel('Email').fill('not an address');
  await page.getByRole('button', { name: 'Subscribe' }).click();
  await page.locator('#email-error').waitFor();
  expect(await page.getByLabel('Email').getAttribute('aria-invalid')).toBe('true');
  await check(page, '20-landing-errors');

  await page.goto(`${h.baseUrl}/manage`);
  await check(page, '21-manage-link');
  await page.getByLabel('Email').fill('browser.reader@example.com');
  await page.getByRole('button', { name: 'Email me a link' }).click();
  await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
  await check(page, '22-link-sent');

  await page.goto(`${h.baseUrl}/manage?token=forged.token`);
  await check(page, '23-not-found');

  const reader = await createSubscriber(h.db, { email: 'other.reader@example.com' });
  const { manageUrl, unsubscribeUrl } = readerLinks(h.deps.config, reader);
  await page.goto(unsubscribeUrl);
  await page.getByRole('button', { name: 'Unsubscribe' }).click();
  await page.getByRole('button', { name: 'Pause instead' }).click();
  await page.getByRole('heading', { name: 'Paused' }).waitFor();
  await check(page, '24-paused');

  await page.goto(manageUrl);
  await page.getByRole('button', { name: 'Delete my data' }).click();
  await page.locator('#confirm-error').waitFor();
  await check(page, '25-delete-unticked');
  await page.getByLabel('Yes, delete everything Paperboy knows about me').check();
  await page.getByRole('button', { name: 'Delete my data' }).click();
  await page.getByRole('heading', { name: 'Your data is deleted' }).waitFor();
  await check(page, '26-deleted');
  expect(await h.db.subscriber.count({ where: { id: reader.id } })).toBe(0);
  expect(cspErrors).toEqual([]);
});

test('subscribing works with JavaScript turned off', async () => {
  const noJs = await browser.newContext({ javaScriptEnabled: false });
  try {
    const page = await noJs.newPage();
    await page.goto(`${h.baseUrl}/`);
    expect(await page.getByLabel('Filter topics').isVisible()).toBe(false);
    await page.getByLabel('Email').fill('nojs@example.com');
    await page.getByLabel('Optimization for deep learning').check();
    await page.getByRole('button', { name: 'Subscribe' }).click();
    await page.getByRole('heading', { name: 'Check your inbox' }).waitFor();
    expect((await h.db.subscriber.findUniqueOrThrow({ where: { email: 'nojs@example.com' } })).timezone).toBe(
      'UTC',
    );
  } finally {
    await noJs.close();
  }
});
