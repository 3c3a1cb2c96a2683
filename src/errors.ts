/**
 * The engine's errors. Every error the engine raises on purpose is an `EngineError` with a stable
 * code from the error catalogue (src/error-catalogue.ts), which also gives the HTTP status it maps
 * to. Routes never build status codes by hand: they throw (or let the core throw) and the server's
 * error handler turns the error into `{"detail": message}`. Core modules (fits/, mast/,
 * downloads/, ...) know nothing of HTTP; `httpStatus` is only a hint the HTTP layer reads.
 */
import { catalogueEntry } from './error-catalogue.js';

export class EngineError extends Error {
  readonly code: string;
  readonly httpStatus: number;
  /** Extra headers an HTTP layer should send with this error (e.g. Retry-After). */
  readonly headers: Readonly<Record<string, string>>;

  /**
   * `httpStatus` is used only for a code the catalogue does not list (the catalogue test fails on
   * such a code); a catalogued code always answers with the catalogue's status.
   */
  constructor(
    code: string,
    message: string,
    httpStatus = 500,
    options: { cause?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.httpStatus = catalogueEntry(code)?.status ?? httpStatus;
    this.headers = options.headers ?? {};
  }
}

/** Input that is well-formed for the schema but makes no sense (422 like FastAPI validation). */
export class ValidationError extends EngineError {
  constructor(message: string, code = 'VALIDATION_FAILED') {
    super(code, message, 422);
  }
}

/** A bad request that is not a schema violation (400). */
export class BadRequestError extends EngineError {
  constructor(message: string, code = 'BAD_REQUEST') {
    super(code, message, 400);
  }
}

export class NotFoundError extends EngineError {
  constructor(message: string, code = 'NOT_FOUND') {
    super(code, message, 404);
  }
}

export class AccessDeniedError extends EngineError {
  constructor(message: string, code = 'ACCESS_DENIED') {
    super(code, message, 403);
  }
}

export class ConflictError extends EngineError {
  constructor(message: string, code = 'CONFLICT') {
    super(code, message, 409);
  }
}

export class PayloadTooLargeError extends EngineError {
  constructor(message: string, code = 'TOO_LARGE') {
    super(code, message, 413);
  }
}

/** An upstream service (MAST) answered badly or could not be reached (502). */
export class UpstreamError extends EngineError {
  constructor(message: string, code = 'UPSTREAM_FAILED', options: { cause?: unknown } = {}) {
    super(code, message, 502, options);
  }
}

/** An upstream service did not answer in time (504). */
export class UpstreamTimeoutError extends EngineError {
  constructor(message: string, code = 'UPSTREAM_TIMEOUT', options: { cause?: unknown } = {}) {
    super(code, message, 504, options);
  }
}

/** The engine cannot take the work right now (503), e.g. while shutting down. */
export class UnavailableError extends EngineError {
  constructor(message: string, code = 'UNAVAILABLE') {
    super(code, message, 503);
  }
}

export function isEngineError(err: unknown): err is EngineError {
  return err instanceof EngineError;
}
