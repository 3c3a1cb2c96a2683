/**
 * API keys for scripts and the CLI: `jwk_<id>_<secret>`, shown once; the database keeps only the
 * SHA-256 of the whole key. A key acts as its user with its role.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Queryable } from '../db/index.js';
import { ADMIN_ROLE, API_KEY_PREFIX, AuthError, INVALID_TOKEN, type Identity } from './identity.js';

export interface ApiKeyInfo {
  readonly keyId: string;
  readonly userId: string;
  readonly role: string;
  readonly name: string;
  readonly createdAt: string;
  readonly lastUsedAt: string | null;
  readonly revoked: boolean;
}

const hash = (key: string) => createHash('sha256').update(key).digest('hex');

export function looksLikeApiKey(token: string): boolean {
  return token.startsWith(API_KEY_PREFIX);
}

export class ApiKeys {
  constructor(private readonly db: Queryable) {}

  async create(userId: string, role: string, name: string): Promise<{ key: string; info: ApiKeyInfo }> {
    if (!userId.trim()) throw new Error('an API key needs a user');
    const keyId = randomUUID().replace(/-/g, '').slice(0, 12);
    const key = `${API_KEY_PREFIX}${keyId}_${randomBytes(24).toString('base64url')}`;
    const createdAt = new Date().toISOString();
    await this.db.run('INSERT INTO api_keys (key_id, key_hash, user_id, role, name, created_at) VALUES (?, ?, ?, ?, ?, ?)',
      [keyId, hash(key), userId.trim(), role, name, createdAt]);
    return { key, info: { keyId, userId: userId.trim(), role, name, createdAt, lastUsedAt: null, revoked: false } };
  }

  async verify(key: string): Promise<Identity> {
    const rows = await this.db.query<{ key_id: string; user_id: string; role: string; revoked: number }>(
      'SELECT key_id, user_id, role, revoked FROM api_keys WHERE key_hash = ?', [hash(key)]);
    const row = rows[0];
    if (!row || Number(row.revoked) === 1) throw new AuthError(INVALID_TOKEN);
    await this.db.run('UPDATE api_keys SET last_used_at = ? WHERE key_id = ?', [new Date().toISOString(), row.key_id]);
    return { userId: row.user_id, username: null, email: null, roles: [row.role], admin: row.role === ADMIN_ROLE, via: 'api-key' };
  }

  /** Every key (of one user when `userId` is given), oldest first; never the secrets. */
  async list(userId?: string): Promise<ApiKeyInfo[]> {
    return userId ? this.select('WHERE user_id = ?', [userId]) : this.select('', []);
  }

  async get(keyId: string): Promise<ApiKeyInfo | undefined> {
    return (await this.select('WHERE key_id = ?', [keyId]))[0];
  }

  private async select(where: string, params: string[]): Promise<ApiKeyInfo[]> {
    const rows = await this.db.query(`SELECT key_id, user_id, role, name, created_at, last_used_at, revoked FROM api_keys ${where} ORDER BY created_at`, params);
    return rows.map((r) => ({
      keyId: String(r.key_id), userId: String(r.user_id), role: String(r.role), name: String(r.name), createdAt: String(r.created_at),
      lastUsedAt: r.last_used_at === null ? null : String(r.last_used_at), revoked: Number(r.revoked) === 1,
    }));
  }

  async revoke(keyId: string): Promise<boolean> {
    return (await this.db.run('UPDATE api_keys SET revoked = 1 WHERE key_id = ?', [keyId])) > 0;
  }
}
