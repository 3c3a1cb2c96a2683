/**
 * The Portal "invoke" protocol: `POST {base}/api/v0/invoke` with one form field `request` holding
 * the JSON MashupRequest. Long polling: while MAST answers `EXECUTING`, the identical request
 * (same cacheBreaker) is sent again. Paging: pages 2..pagesFiltered are fetched with the same
 * cacheBreaker. `ERROR` becomes a MastServiceError carrying MAST's `msg`.
 */
import { randomUUID } from 'node:crypto';
import { MastQueryTooBroadError, MastServiceError, MastUnavailableError } from './errors.js';
import type { Deadline, MastTransport } from './transport.js';
import type { MastField, MastRow } from './types.js';

export const INVOKE_PATH = '/api/v0/invoke';

export interface MashupRequest {
  readonly service: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly format: 'json';
  readonly pagesize: number;
  readonly page: number;
  readonly cacheBreaker: string;
  readonly removenullcolumns?: boolean;
}

export interface InvokeOptions {
  /** Rows per page asked of MAST. */
  readonly pageSize: number;
  /** Stop (with an error) rather than page past this many rows. */
  readonly maxRows: number;
  /** Pause before re-polling when MAST answered EXECUTING without holding the request. */
  readonly pollDelayMs: number;
}

export interface InvokeResult {
  readonly rows: MastRow[];
  readonly fields: MastField[];
  /** MAST's `rowsFiltered` (total rows of the query). */
  readonly totalRows: number;
  /** HTTP exchanges used (polls + pages), for diagnostics and tests. */
  readonly exchanges: number;
  /** Size of the answers' bodies (characters): what the rows cost to hold, without measuring them again. */
  readonly bytes: number;
}

interface Envelope {
  status?: unknown;
  msg?: unknown;
  data?: unknown;
  fields?: unknown;
  paging?: { page?: unknown; pagesFiltered?: unknown; rowsFiltered?: unknown; rowsTotal?: unknown };
}

/** Python's `urllib.parse.quote(s, safe='/')`: what astroquery and the MAST tutorial send. */
export function pyQuote(text: string): string {
  return encodeURIComponent(text)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%2F/g, '/');
}

function encodeRequestForm(req: object): string {
  return `request=${pyQuote(JSON.stringify(req))}`;
}

export async function invokeAll(
  transport: MastTransport,
  deadline: Deadline,
  service: string,
  params: Record<string, unknown>,
  options: InvokeOptions,
): Promise<InvokeResult> {
  const base: MashupRequest = {
    service,
    params,
    format: 'json',
    pagesize: options.pageSize,
    page: 1,
    cacheBreaker: randomUUID(),
  };
  const rows: MastRow[] = [];
  let fields: MastField[] = [];
  let totalRows = 0;
  let exchanges = 0;
  let bytes = 0;
  for (let page = 1, pages = 1; page <= pages; page++) {
    const form = encodeRequestForm({ ...base, page });
    let env: Envelope;
    for (;;) {
      const started = Date.now();
      const res = await transport.requestJson({ method: 'POST', url: INVOKE_PATH, form, deadline, what: service });
      exchanges++;
      env = asEnvelope(res.json, service);
      if (env.status !== 'EXECUTING') bytes += res.bytes;
      if (env.status !== 'EXECUTING') break;
      // MAST normally holds the request while executing; do not spin if it did not.
      if (Date.now() - started < options.pollDelayMs) await new Promise((r) => setTimeout(r, options.pollDelayMs));
    }
    if (env.status === 'ERROR') throw new MastServiceError(service, typeof env.msg === 'string' ? env.msg : '');
    if (env.status !== 'COMPLETE') {
      throw new MastUnavailableError(`MAST answered the ${service} request with an unexpected status ${JSON.stringify(env.status)}.`);
    }
    const data = Array.isArray(env.data) ? (env.data as MastRow[]) : [];
    for (const row of data) {
      if (row && typeof row === 'object') {
        const { _selected_: _drop, ...rest } = row as MastRow & { _selected_?: unknown };
        rows.push(rest);
      }
    }
    if (page === 1 && Array.isArray(env.fields)) {
      fields = (env.fields as MastField[]).filter((f) => f && typeof f.name === 'string' && f.name !== '_selected_');
    }
    const paging = env.paging;
    totalRows = toCount(paging?.rowsFiltered) ?? toCount(paging?.rowsTotal) ?? rows.length;
    pages = toCount(paging?.pagesFiltered) ?? 1;
    if (rows.length > options.maxRows || totalRows > options.maxRows) {
      throw new MastQueryTooBroadError(service, Math.max(rows.length, totalRows), options.maxRows);
    }
    if (data.length === 0) break; // a page past the end, or an empty result
  }
  return { rows, fields, totalRows, exchanges, bytes };
}

function asEnvelope(json: unknown, service: string): Envelope {
  if (!json || typeof json !== 'object' || Array.isArray(json)) {
    // astroquery treats an empty body as ERROR too.
    throw new MastServiceError(service, 'empty or malformed response');
  }
  return json as Envelope;
}

function toCount(v: unknown): number | undefined {
  const n = typeof v === 'string' ? Number(v) : v;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 ? n : undefined;
}
