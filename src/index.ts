/** The library entry point: the core modules, usable without the HTTP server. */
export * from './errors.js';
export { loadSettings, type Settings } from './config.js';
export * as downloads from './downloads/index.js';
