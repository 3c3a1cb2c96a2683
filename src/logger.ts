import { pino, type Logger } from 'pino';
import type { Settings } from './config.js';

/** One pino logger for the whole engine; secrets are redacted wherever they might appear. */
export function createLogger(settings: Pick<Settings, 'logLevel'>): Logger {
  return pino({
    level: settings.logLevel,
    redact: {
      paths: ['req.headers.authorization', 'headers.authorization', 'token', 'mastToken', '*.token'],
      censor: '[redacted]',
    },
  });
}
