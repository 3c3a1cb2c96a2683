/**
 * The AWS mirror of MAST (the public bucket `stpubdata`) as a download source (`source: "aws"`).
 *
 * Keys come from MAST's cloud path lookup (`GET /api/v0.1/path_lookup/?uri=…&use_cloud_path=True`,
 * at most 40 URIs per request, as astroquery batches them to avoid 414), never built from the file
 * name: the bucket's layout differs between products (`jwst/public/jw02731/jw02731001001/...`,
 * `jwst/public/jw02727/L3/t/o002/...`). A product the lookup does not place (404, no path, or the
 * lookup itself failing) is fetched from MAST as usual; a mirrored product keeps MAST's URL as its
 * fallback, taken when the bucket answers 403/404 for it (AWS answers 403 for a missing key in a
 * bucket that cannot be listed anonymously).
 *
 * The bucket is read anonymously over plain HTTPS (path style: `{endpoint}/{bucket}/{key}`), through
 * the same ranged, validated, resumable transfers as MAST's files: no credentials, no SDK.
 */
import type { ProductSource, RemoteProduct } from './product-source.js';

export interface AwsMirrorSettings {
  /** AWS_MIRROR_BUCKET (default `stpubdata`). */
  readonly bucket: string;
  /** AWS_MIRROR_ENDPOINT (default `https://s3.amazonaws.com`): the bucket is `{endpoint}/{bucket}/`. */
  readonly endpoint: string;
}

export const DEFAULT_AWS_MIRROR: AwsMirrorSettings = { bucket: 'stpubdata', endpoint: 'https://s3.amazonaws.com' };

/** URIs per path lookup request (more makes MAST answer 414). */
export const PATH_LOOKUP_BATCH = 40;

export interface MirrorLogger {
  warn(obj: object, msg?: string): void;
}

/** `{endpoint}/{bucket}/{key}` with each key segment escaped. */
export function mirrorUrl(settings: AwsMirrorSettings, key: string): string {
  const path = key.split('/').map((s) => encodeURIComponent(s)).join('/');
  return `${settings.endpoint.replace(/\/+$/, '')}/${encodeURIComponent(settings.bucket)}/${path}`;
}

/** A key from a lookup's `path` (leading `/`), or undefined when it is not a plain relative key. */
function keyOf(path: unknown): string | undefined {
  if (typeof path !== 'string') return undefined;
  const key = path.replace(/^\/+/, '');
  if (key === '' || key.length > 1024 || key.split('/').some((s) => s === '' || s === '.' || s === '..') || /[\u0000-\u001f\\]/.test(key)) return undefined;
  return key;
}

export class AwsMirror {
  constructor(
    readonly settings: AwsMirrorSettings,
    private readonly mastBaseUrl: string,
    private readonly options: { token?: string; logger?: MirrorLogger; timeoutMs?: number } = {},
  ) {}

  /** Keys in the bucket of the given MAST URIs (absent: not mirrored). A failing lookup places none. */
  async cloudKeys(uris: readonly string[], signal: AbortSignal): Promise<Map<string, string>> {
    const keys = new Map<string, string>();
    for (let i = 0; i < uris.length; i += PATH_LOOKUP_BATCH) {
      const batch = uris.slice(i, i + PATH_LOOKUP_BATCH);
      const url = new URL(`${this.mastBaseUrl.replace(/\/+$/, '')}/api/v0.1/path_lookup/`);
      for (const u of batch) url.searchParams.append('uri', u);
      url.searchParams.set('use_cloud_path', 'True');
      let answer: unknown;
      try {
        const res = await fetch(url, {
          headers: { accept: 'application/json', ...(this.options.token ? { authorization: `token ${this.options.token}` } : {}) },
          signal: AbortSignal.any([signal, AbortSignal.timeout(this.options.timeoutMs ?? 60_000)]),
        });
        if (!res.ok) throw new Error(`path_lookup answered ${res.status}`);
        answer = await res.json();
      } catch (err) {
        signal.throwIfAborted();
        this.options.logger?.warn({ err, uris: batch.length }, 'AWS mirror: path lookup failed; those files come from MAST');
        continue;
      }
      if (typeof answer !== 'object' || answer === null) continue;
      const byUri = answer as Record<string, { status_code?: unknown; path?: unknown } | null>;
      for (const u of batch) {
        const entry = byUri[u];
        const key = entry && (entry.status_code === undefined || Number(entry.status_code) === 200) ? keyOf(entry.path) : undefined;
        if (key) keys.set(u, key);
      }
    }
    return keys;
  }

  /** The products with the mirror's URL where the bucket has them (MAST's URL kept as the fallback). */
  async mirrored(products: readonly RemoteProduct[], signal: AbortSignal): Promise<RemoteProduct[]> {
    const uris = [...new Set(products.map((p) => p.dataUri).filter((u): u is string => typeof u === 'string' && u !== ''))];
    const keys = uris.length > 0 ? await this.cloudKeys(uris, signal) : new Map<string, string>();
    return products.map((p) => {
      const key = p.dataUri ? keys.get(p.dataUri) : undefined;
      return key ? { ...p, url: mirrorUrl(this.settings, key), fallbackUrl: p.url } : p;
    });
  }

  /** A product source whose listings point at the mirror. */
  source(inner: ProductSource): ProductSource {
    return {
      listProducts: async (obsId, query, signal) => this.mirrored(await inner.listProducts(obsId, query, signal), signal),
    };
  }
}
