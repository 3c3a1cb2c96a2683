/** Users: JWT verification (HS256 / JWKS), API keys. No HTTP in here. */
export * from './identity.js';
export { ApiKeys, looksLikeApiKey, type ApiKeyInfo } from './api-keys.js';
export { Authenticator } from './authenticator.js';
