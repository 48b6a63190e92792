/** The CLI's two kinds of failure and their exit codes: 2 for usage, 1 for the API or the network. */

/** The command line is wrong (unknown flag, missing argument, bad value): exit code 2. */
export class UsageError extends Error {
  exitCode = 2;
}

/** The API refused, or the server could not be reached: exit code 1. `requestId` is the server's x-request-id. */
export class ApiError extends Error {
  exitCode = 1;
  /** @param {string} message @param {{status?: number, requestId?: string | null, body?: unknown}} [info] */
  constructor(message, info = {}) {
    super(message);
    this.status = info.status;
    this.requestId = info.requestId ?? null;
    this.body = info.body;
  }
}
