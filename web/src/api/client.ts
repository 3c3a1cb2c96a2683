/** A small typed fetch wrapper for the engine's JSON API; errors carry the engine's `detail`. */

export class ApiError extends Error {
  constructor(readonly status: number, readonly detail: string) {
    super(detail);
    this.name = 'ApiError';
  }
}

interface ValidationItem {
  loc?: Array<string | number>;
  msg?: string;
}

function detailText(body: unknown, status: number): string {
  const detail = (body as { detail?: unknown } | null)?.detail;
  if (typeof detail === 'string') return detail;
  if (Array.isArray(detail)) {
    return (detail as ValidationItem[])
      .map((d) => `${(d.loc ?? []).filter((p) => p !== 'body' && p !== 'querystring').join('.')}: ${d.msg ?? 'invalid'}`)
      .join('; ');
  }
  return `Request failed (HTTP ${status})`;
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!res.ok) throw new ApiError(res.status, detailText(body, res.status));
  return body as T;
}

export async function getJson<T>(url: string, signal?: AbortSignal): Promise<T> {
  return parse<T>(await fetch(url, { signal, headers: { accept: 'application/json' } }));
}

/** A text answer (e.g. a region file); errors as getJson's. */
export async function getText(url: string, signal?: AbortSignal): Promise<string> {
  const res = await fetch(url, { signal });
  if (res.ok) return res.text();
  return parse<string>(res);
}

export async function postJson<T>(url: string, body: unknown, signal?: AbortSignal): Promise<T> {
  return parse<T>(
    await fetch(url, { method: 'POST', signal, headers: { 'content-type': 'application/json', accept: 'application/json' }, body: JSON.stringify(body) }),
  );
}

export async function deleteJson<T>(url: string): Promise<T> {
  return parse<T>(await fetch(url, { method: 'DELETE', headers: { accept: 'application/json' } }));
}

/** Builds a query string, leaving out undefined values. */
export function query(params: Record<string, string | number | boolean | undefined | null>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export function formatBytes(n: number | undefined | null): string {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function formatDuration(seconds: number | undefined | null): string {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

// ---------------------------------------------------------------------------------------------
// Signing in: a pasted token (JWT or API key), kept in this browser, sent as Authorization on
// every request the page makes to the engine (the viewer's and the pages' own fetches alike).

const TOKEN_KEY = 'jwst-engine-token';
export const AUTH_CHANGED = 'jwst-engine-auth-changed';

export function getToken(): string | null {
  try {
    return localStorage.getItem(TOKEN_KEY);
  } catch {
    return null;
  }
}

export function setToken(token: string | null): void {
  try {
    if (token) localStorage.setItem(TOKEN_KEY, token);
    else localStorage.removeItem(TOKEN_KEY);
  } catch {
    // storage off: the token lasts as long as the page
  }
  window.dispatchEvent(new Event(AUTH_CHANGED));
}

function sameOrigin(url: string): boolean {
  try {
    return new URL(url, window.location.href).origin === window.location.origin;
  } catch {
    return false;
  }
}

let installed = false;

/** Wraps the page's fetch once: same-origin requests carry `Authorization: Bearer <token>` when signed in. */
export function installAuth(): void {
  if (installed) return;
  installed = true;
  const original = window.fetch.bind(window);
  window.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const token = getToken();
    const url = input instanceof Request ? input.url : String(input);
    if (!token || !sameOrigin(url)) return original(input, init);
    const headers = new Headers(init?.headers ?? (input instanceof Request ? input.headers : undefined));
    if (!headers.has('authorization')) headers.set('authorization', `Bearer ${token}`);
    return original(input, { ...init, headers });
  };
}

/** For what cannot send headers (<img src>, EventSource): the token as `access_token`. */
export function withToken(url: string): string {
  const token = getToken();
  return token ? `${url}${url.includes('?') ? '&' : '?'}access_token=${encodeURIComponent(token)}` : url;
}

/** GET returning the body and the answer's headers (paging by X-Next-Cursor). */
export async function getJsonPage<T>(url: string, signal?: AbortSignal): Promise<{ body: T; headers: Headers }> {
  const res = await fetch(url, { signal, headers: { accept: 'application/json' } });
  return { body: await parse<T>(res), headers: res.headers };
}
