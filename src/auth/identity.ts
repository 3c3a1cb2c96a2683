/**
 * Users as the upstream engine knows them (app/auth/deps.py): identity from a JWT issued by the
 * .NET backend (HS256, JWT_SECRET_KEY) or, beyond upstream, from an identity provider's keys
 * (RS256/ES256, JWT_JWKS_URL), or from an API key for scripts and the CLI. No HTTP in here: the
 * HTTP layer maps AuthError to 401/403 with WWW-Authenticate.
 */
// jose loads on the first token to verify: an engine without users starts without it.
import type { createRemoteJWKSet, JWTPayload } from 'jose';
import type { Settings } from '../config.js';
import { EngineError } from '../errors.js';

export interface Identity {
  readonly userId: string;
  readonly username: string | null;
  readonly email: string | null;
  /** Every role the token carries (an array claim is read as a list, not a string). */
  readonly roles: readonly string[];
  readonly admin: boolean;
  readonly via: 'jwt' | 'api-key';
}

/** The settings users depend on (authEnabled: a JWT source is set or AUTH_ENABLED=true, API keys only). */
export type AuthSettings = Pick<Settings, 'jwtSecretKey' | 'jwtJwksUrl' | 'jwtIssuer' | 'jwtAudience' | 'jwtClockSkewSeconds' | 'authEnabled'>;

export const ROLE_CLAIM = 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role';
export const ADMIN_ROLE = 'Admin';
export const API_KEY_PREFIX = 'jwk_';

/** 401 (with WWW-Authenticate: Bearer) or 403, with the upstream's messages. */
export class AuthError extends EngineError {
  constructor(message: string, status: 401 | 403 | 503 = 401) {
    super(status === 403 ? 'FORBIDDEN' : status === 503 ? 'AUTH_NOT_CONFIGURED' : 'UNAUTHENTICATED', message, status,
      status === 401 ? { headers: { 'WWW-Authenticate': 'Bearer' } } : {});
  }
}

export const NOT_AUTHENTICATED = 'Not authenticated';
export const INVALID_TOKEN = 'Invalid or expired token';
export const INSUFFICIENT_ROLE = 'Insufficient role';

function rolesOf(payload: JWTPayload): string[] {
  for (const claim of [ROLE_CLAIM, 'role', 'roles']) {
    const v = payload[claim];
    if (typeof v === 'string' && v.trim()) return [v.trim()];
    if (Array.isArray(v)) {
      const list = v.filter((x): x is string => typeof x === 'string' && x.trim() !== '').map((x) => x.trim());
      if (list.length) return list;
    }
  }
  return ['User'];
}

export function identityFromClaims(payload: JWTPayload, via: Identity['via'] = 'jwt'): Identity {
  const sub = typeof payload.sub === 'string' ? payload.sub.trim() : '';
  if (!sub) throw new AuthError(INVALID_TOKEN);
  const roles = rolesOf(payload);
  return {
    userId: sub,
    username: typeof payload.unique_name === 'string' ? payload.unique_name : null,
    email: typeof payload.email === 'string' ? payload.email : null,
    roles,
    admin: roles.includes(ADMIN_ROLE),
    via,
  };
}

/** Verifies JWTs the way the settings say; one instance per engine (the JWKS is cached). */
export class JwtVerifier {
  private readonly secret: Uint8Array | undefined;
  private readonly jwksUrl: URL | undefined;
  /** Made on first use; kept, so its key cache lives as long as the engine. */
  private jwks: ReturnType<typeof createRemoteJWKSet> | undefined;

  constructor(private readonly settings: AuthSettings) {
    this.secret = settings.jwtSecretKey ? new TextEncoder().encode(settings.jwtSecretKey) : undefined;
    this.jwksUrl = settings.jwtJwksUrl ? new URL(settings.jwtJwksUrl) : undefined;
  }

  get configured(): boolean {
    return this.secret !== undefined || this.jwksUrl !== undefined;
  }

  async verify(token: string): Promise<Identity> {
    if (!this.configured) throw new AuthError('Authentication is not configured on the engine', 503);
    const { createRemoteJWKSet, decodeProtectedHeader, errors: joseErrors, jwtVerify } = await import('jose');
    if (this.jwksUrl) this.jwks ??= createRemoteJWKSet(this.jwksUrl, { cooldownDuration: 30_000, timeoutDuration: 5000 });
    let alg: string | undefined;
    try {
      alg = decodeProtectedHeader(token).alg;
    } catch {
      throw new AuthError(INVALID_TOKEN);
    }
    const options = {
      issuer: this.settings.jwtIssuer,
      audience: this.settings.jwtAudience,
      clockTolerance: this.settings.jwtClockSkewSeconds,
      requiredClaims: ['exp', 'iss', 'aud', 'sub'],
    };
    try {
      if (alg === 'HS256' && this.secret) {
        const { payload } = await jwtVerify(token, this.secret, { ...options, algorithms: ['HS256'] });
        return identityFromClaims(payload);
      }
      if ((alg === 'RS256' || alg === 'ES256') && this.jwks) {
        const { payload } = await jwtVerify(token, this.jwks, { ...options, algorithms: ['RS256', 'ES256'] });
        return identityFromClaims(payload);
      }
    } catch (err) {
      if (err instanceof AuthError) throw err;
      // An unreachable key server is not the client's fault, but the token still cannot be trusted.
      if (err instanceof joseErrors.JOSEError || err instanceof Error) throw new AuthError(INVALID_TOKEN);
      throw err;
    }
    throw new AuthError(INVALID_TOKEN);
  }
}
