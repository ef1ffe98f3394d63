import type { Deps } from '../deps.ts';
import { hashEmail } from '../log.ts';
import { compileEmailTemplate, type EmailTemplate } from '../mail/templates.ts';
import { confirmUrl, readerLinks } from './links.ts';

/** However often an address is posted, it gets at most one confirmation or link email in this window. */
export const LINK_EMAIL_INTERVAL_MS = 10 * 60 * 1000;

/** What the one-button link email is filled with. */
export interface LinkEmailValues {
  subject: string;
  heading: string;
  intro: string;
  actionUrl: string;
  actionLabel: string;
  note: string;
}

let linkTemplate: Promise<EmailTemplate<LinkEmailValues>> | undefined;
const getLinkTemplate = () => {
  linkTemplate ??= compileEmailTemplate<LinkEmailValues>('link');
  return linkTemplate;
};

interface Recipient {
  id: string;
  email: string;
  tokenVersion: number;
}

/** The double opt-in email's values. */
export function confirmationEmail(deps: Deps, who: Recipient): LinkEmailValues {
  return {
    subject: 'Confirm your Paperboy subscription',
    heading: 'One click to confirm',
    intro:
      'Someone (we hope you) asked to get trending research papers from Paperboy at this address once a day.',
    actionUrl: confirmUrl(deps.config, who, deps.now()),
    actionLabel: 'Confirm subscription',
    note: 'If it was not you, ignore this email: nothing will be sent unless you confirm.',
  };
}

/** The email that carries a fresh link to the preferences page. */
export function manageLinkEmail(deps: Deps, who: Recipient, why: 'again' | 'asked'): LinkEmailValues {
  return {
    subject: why === 'again' ? 'Your Paperboy subscription' : 'Your link to Paperboy’s preferences',
    heading: why === 'again' ? 'You are already subscribed' : 'Here is your link',
    intro:
      why === 'again'
        ? 'Someone (we hope you) asked to subscribe this address again. It already gets Paperboy’s daily papers.'
        : 'Someone (we hope you) asked for a link to change what Paperboy sends to this address.',
    actionUrl: readerLinks(deps.config, who).manageUrl,
    actionLabel: 'Manage preferences',
    note: 'If it was not you, ignore this email: nothing has changed.',
  };
}

/** Sends a link email without making the caller wait: the answer must not reveal anything through timing. */
export function sendLinkEmail(deps: Deps, to: string, values: LinkEmailValues): void {
  getLinkTemplate()
    .then((template) =>
      deps.mailer.send({
        to,
        subject: values.subject,
        html: template.html(values),
        text: template.text(values),
      }),
    )
    .then(() => deps.log.info({ event: 'subscribers.link_sent', who: hashEmail(to) }))
    .catch((error: unknown) =>
      deps.log.warn({ event: 'subscribers.link_failed', who: hashEmail(to), err: error }),
    );
}
