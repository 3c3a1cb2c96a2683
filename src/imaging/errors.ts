/** Errors of the imaging core: bad display parameters (400, the contract's messages) and unusable data. */
import { EngineError } from '../errors.js';

export class ImagingError extends EngineError {
  constructor(message: string, code = 'IMAGING_BAD_INPUT', httpStatus = 400) {
    super(code, message, httpStatus);
  }
}
