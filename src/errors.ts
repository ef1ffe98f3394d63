/** An expected failure with the HTTP status it maps to; `expose` says whether its message is safe to show. */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly expose = status < 500,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** The client sent something we cannot accept; `field` names what to fix. */
export const badRequest = (message: string, details?: Record<string, unknown>) =>
  new AppError(400, 'bad_request', message, true, details);

/** Unknown, expired, or tampered: deliberately indistinguishable to the client. */
export const notFound = (what = 'page') => new AppError(404, 'not_found', `That ${what} was not found.`);

/** Too many requests from one client or for one address. */
export const tooManyRequests = (message = 'Too many requests; please try again later.') =>
  new AppError(429, 'too_many_requests', message);
