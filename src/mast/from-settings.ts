/** The MAST client as the environment configures it: one recipe for the server and every CLI command. */
import type { Settings } from '../config.js';
import { MastClient, type MastClientOptions } from './client.js';

export function mastClientFromSettings(settings: Settings, overrides: Partial<MastClientOptions> = {}): MastClient {
  return new MastClient({
    baseUrl: settings.mastBaseUrl,
    token: settings.mastToken,
    searchTimeoutMs: settings.mastSearchTimeoutMs,
    maxRetries: settings.maxRetries,
    retryBaseDelayMs: settings.retryBaseDelayMs,
    ...overrides,
  });
}
