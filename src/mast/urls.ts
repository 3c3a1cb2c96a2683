/** `mast:` URIs: validation (no SSRF, no traversal) and the HTTPS Download/file URL for each. */

export const DOWNLOAD_PATH = '/api/v0.1/Download/file';

const MAST_URI = /^mast:[A-Za-z0-9_\-./]+$/;

/** True for `mast:<MISSION>/product/<file>`-style URIs with safe characters and no `..`. */
export function isValidMastUri(uri: unknown): uri is string {
  return typeof uri === 'string' && uri.length > 5 && uri.length <= 1024 && MAST_URI.test(uri) && !uri.includes('..');
}

/** `mast:JWST/product/x.fits` → `{base}/api/v0.1/Download/file?uri=mast%3AJWST/product/x.fits`. */
export function downloadUrl(baseUrl: string, uri: string): string {
  if (!isValidMastUri(uri)) throw new Error(`not a valid mast: URI: ${JSON.stringify(uri)}`);
  return `${baseUrl.replace(/\/+$/, '')}${DOWNLOAD_PATH}?uri=${encodeURIComponent(uri).replace(/%2F/g, '/')}`;
}

/** The HTTPS form of a cell that may hold a `mast:` URI (others are returned unchanged, null stays null). */
export function httpsForm(baseUrl: string, value: unknown): string | null {
  if (typeof value !== 'string' || value === '') return null;
  if (isValidMastUri(value)) return downloadUrl(baseUrl, value);
  return /^https?:\/\//.test(value) ? value : null;
}
