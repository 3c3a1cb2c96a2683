/** One entry point: a bearer token (JWT or API key) to an Identity, or an AuthError. */
import type { Queryable } from '../db/index.js';
import { ApiKeys, looksLikeApiKey } from './api-keys.js';
import { AuthError, INVALID_TOKEN, JwtVerifier, type AuthSettings, type Identity } from './identity.js';

export class Authenticator {
  readonly jwt: JwtVerifier;
  readonly apiKeys: ApiKeys;

  constructor(readonly settings: AuthSettings, db: Queryable) {
    this.jwt = new JwtVerifier(settings);
    this.apiKeys = new ApiKeys(db);
  }

  get enabled(): boolean {
    return this.settings.authEnabled;
  }

  async authenticate(token: string): Promise<Identity> {
    if (!token) throw new AuthError(INVALID_TOKEN);
    if (looksLikeApiKey(token)) return this.apiKeys.verify(token);
    return this.jwt.verify(token);
  }
}
