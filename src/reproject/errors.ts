/** Errors of the reprojection core. */
import { EngineError } from '../errors.js';

export class ReprojectError extends EngineError {
  constructor(message: string, code = 'REPROJECT_FAILED', httpStatus = 400) {
    super(code, message, httpStatus);
  }
}
