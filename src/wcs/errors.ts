/** Errors of the WCS core: a header that does not describe a usable world coordinate system. */
import { EngineError } from '../errors.js';

export class WcsError extends EngineError {
  constructor(message: string, code = 'WCS_INVALID', httpStatus = 400) {
    super(code, message, httpStatus);
  }
}
