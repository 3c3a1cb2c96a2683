/**
 * MAST failures as typed engine errors. Each message says what happened and what to do about it;
 * the HTTP layer maps them by `httpStatus` (404 name not resolved, 502 MAST failed, 504 timeout).
 */
import { NotFoundError, UpstreamError, UpstreamTimeoutError, ValidationError } from '../errors.js';

/** MAST answered `status: ERROR`; `mastMessage` is MAST's own `msg`. */
export class MastServiceError extends UpstreamError {
  readonly mastMessage: string;
  readonly service: string;
  constructor(service: string, mastMessage: string) {
    super(`MAST rejected the ${service} query: ${mastMessage || 'no reason given'}`, 'MAST_SERVICE_ERROR');
    this.mastMessage = mastMessage;
    this.service = service;
  }
}

/** MAST could not be reached or kept answering with errors after every retry. */
export class MastUnavailableError extends UpstreamError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, 'MAST_UNAVAILABLE', options);
  }
}

/** The overall budget (MAST_SEARCH_TIMEOUT) or the per-request timeout ran out. */
export class MastTimeoutError extends UpstreamTimeoutError {
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, 'MAST_TIMEOUT', options);
  }
}

/** A target name no resolver knows. */
export class TargetNotResolvedError extends NotFoundError {
  readonly targetName: string;
  constructor(targetName: string) {
    super(
      `Could not resolve target "${targetName}" to a sky position. Check the spelling (e.g. "NGC 3132") or search by coordinates.`,
      'TARGET_NOT_RESOLVED',
    );
    this.targetName = targetName;
  }
}

/** An observation id that MAST does not know (for product listing). */
export class ObservationNotFoundError extends NotFoundError {
  constructor(obsId: string) {
    super(`Observation "${obsId}" was not found in MAST. Check the id with POST /mast/search/observation.`, 'OBSERVATION_NOT_FOUND');
  }
}

/** Bad search input caught by the core (the HTTP schema catches most of it first). */
export class MastInputError extends ValidationError {
  readonly field: string;
  constructor(field: string, message: string) {
    super(`${field}: ${message}`, 'MAST_INVALID_INPUT');
    this.field = field;
  }
}

/** The query matches more rows than the engine will fetch: the caller must narrow it (422). */
export class MastQueryTooBroadError extends ValidationError {
  constructor(service: string, rows: number, maxRows: number) {
    super(
      `The ${service} query matches ${rows} rows, more than the ${maxRows} this engine fetches. Narrow the search (a smaller radius, calibration levels, an instrument or a filter).`,
      'MAST_QUERY_TOO_BROAD',
    );
  }
}
