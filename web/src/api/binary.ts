import { ApiError } from './client.js';

/** POSTs JSON and returns the binary answer as an object URL (images, FITS). */
export async function postForBlob(url: string, body: unknown): Promise<{ url: string; mime: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) {
    let detail = `Request failed (HTTP ${res.status})`;
    try {
      const j = (await res.json()) as { detail?: unknown };
      if (typeof j.detail === 'string') detail = j.detail;
      else if (Array.isArray(j.detail)) detail = j.detail.map((d: { msg?: string }) => d.msg).join('; ');
    } catch {
      // not JSON
    }
    throw new ApiError(res.status, detail);
  }
  const blob = await res.blob();
  return { url: URL.createObjectURL(blob), mime: blob.type || res.headers.get('content-type') || 'application/octet-stream' };
}
