/** What a request of the client library can end in, besides its reply. */

/**
 * No answer within the request's `timeoutMs`. When `sent` is true the outcome is unknown: the
 * cluster may have applied the request (and the client keeps trying to learn its answer in the
 * background, so later requests wait behind it); when false it never left the client.
 */
export class TimeoutError extends Error {
  override name = 'TimeoutError';
  constructor(
    readonly timeoutMs: number,
    readonly sent: boolean,
  ) {
    super(sent ? `no answer within ${timeoutMs} ms; the request may or may not have been applied` : `not sent within ${timeoutMs} ms (the request was not applied)`);
  }
}

/** The client was closed before the request was answered. */
export class ClosedError extends Error {
  override name = 'ClosedError';
  constructor() {
    super('the client is closed');
  }
}

/** The application's `apply` threw on this request (every replica alike); `message` is what it threw. */
export class AppError extends Error {
  override name = 'AppError';
  constructor(
    message: string,
    /** The request's number. */
    readonly num: number,
  ) {
    super(message);
  }
}
