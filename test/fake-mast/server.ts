/**
 * A fake MAST speaking the real protocol, for tests, the astroquery fidelity check and benchmarks:
 *
 *   POST|GET /api/v0/invoke                        Mashup requests (`request=` form/query field)
 *       Mast.Name.Lookup, Mast.Caom.Cone, Mast.Caom.Filtered, Mast.Caom.Filtered.Position,
 *       Mast.Caom.Products; EXECUTING long polling, paging, ERROR status
 *   POST /portal/Mashup/Mashup.asmx/columnsconfig  column configuration (astroquery asks first)
 *   GET  /Santa-war/query                          SANTA name resolver
 *   GET|HEAD /api/v0.1/Download/file?uri=          files (delegated to download-endpoint.ts)
 *   GET  /whoami                                   token check
 *   GET  /api/v0.1/path_lookup/?uri=…&use_cloud_path=True   keys in the AWS mirror (cloud.ts)
 *   /__fake/*                                      switches, faults, request log (see below)
 *
 * Switches are set per test with the JS API (`fake.set({...})`, `fake.fault({...})`) or over HTTP
 * (`POST /__fake/switches`, `POST /__fake/faults`, `POST /__fake/reset`, `GET /__fake/log`).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildDataset, type Cell, type FakeDataset, type FakeFile, type Row } from './dataset.js';
import { handleDownload } from './download-endpoint.js';
import type { DownloadRequestContext } from './download-types.js';
import { FIXTURES_DIR } from '../helpers/paths.js';
import { cloudKeyOf } from './cloud.js';

export interface Switches {
  /** EXECUTING answers before COMPLETE, for each new job (request minus page). */
  executingPolls: number;
  /** How long each EXECUTING answer is held (MAST holds up to the request's `timeout`, 20 s). */
  executingHoldMs: number;
  /** Send obsid/objID/obsID/parent_obsid as strings instead of numbers. */
  idsAsStrings: boolean;
  /** Extra latency before every answer. */
  latencyMs: number;
  /** Rows per page when the request has no `pagesize`. */
  defaultPageSize: number;
}

export type FaultScope = 'invoke' | 'resolver' | 'download' | 'columnsconfig' | 'any';

export type Fault = {
  /** Which requests it hits: invoke (not Name.Lookup), resolver (Name.Lookup + SANTA), download, any. */
  scope?: FaultScope;
  /** Only this invoke service (e.g. "Mast.Caom.Products"). */
  service?: string;
  /** How many matching requests it hits (default 1; Infinity for all). */
  times?: number;
} & (
  | { mode: 'error-status'; msg?: string }
  | { mode: 'http'; status: number; html?: boolean; retryAfter?: string }
  | { mode: 'html-200' }
  | { mode: 'reset' }
  | { mode: 'stall' }
  | { mode: 'delay'; ms: number }
  | { mode: 'empty' }
);

export interface LoggedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly service?: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly at: number;
}

export interface FakeMastOptions {
  readonly port?: number;
  readonly host?: string;
  /** Side of i2d images (default 256; cal/rate half, uncal a quarter). Larger for benchmarks. */
  readonly imageSize?: number;
  /** Disk cache of generated files (default $TMPDIR/jwst-fake-mast/v<version>-<imageSize>). */
  readonly cacheDir?: string;
  /** Tokens accepted for exclusive-access data (default ["fake-mast-token"]). */
  readonly tokens?: readonly string[];
  readonly quiet?: boolean;
}

const DEFAULT_SWITCHES: Switches = { executingPolls: 0, executingHoldMs: 0, idsAsStrings: false, latencyMs: 0, defaultPageSize: 1000 };

const ID_COLUMNS = new Set(['obsid', 'objID', 'obsID', 'parent_obsid', 'objID1']);
const INT_COLUMNS = new Set(['calib_level', 'size', 'sequence_number']);

export class FakeMast {
  readonly dataset: FakeDataset;
  readonly log: LoggedRequest[] = [];
  switches: Switches = { ...DEFAULT_SWITCHES };
  downloadSwitches: Record<string, unknown> = {};
  readonly downloadState = new Map<string, unknown>();
  /** Lower-cased URIs the path lookup says are not in the AWS mirror (404). */
  readonly notInCloud = new Set<string>();
  private faults: Fault[] = [];
  private readonly jobs = new Map<string, number>();
  private readonly sockets = new Set<Socket>();
  private readonly tokens: Set<string>;
  private columnsConfig: Record<string, unknown> | undefined;
  private server!: Server;
  url = '';

  private constructor(options: FakeMastOptions, dataset: FakeDataset) {
    this.dataset = dataset;
    this.tokens = new Set(options.tokens ?? ['fake-mast-token']);
  }

  static async start(options: FakeMastOptions = {}): Promise<FakeMast> {
    const fake = new FakeMast(options, await buildDataset({ imageSize: options.imageSize ?? 256, cacheDir: options.cacheDir }));
    fake.server = createServer((req, res) => {
      fake.handle(req, res).catch((err: unknown) => {
        if (!res.headersSent) {
          res.statusCode = 500;
          res.end(`fake MAST error: ${err instanceof Error ? err.message : String(err)}`);
        } else res.destroy();
      });
    });
    fake.server.keepAliveTimeout = 5000;
    fake.server.on('connection', (s) => {
      fake.sockets.add(s);
      s.on('close', () => fake.sockets.delete(s));
    });
    await new Promise<void>((resolve) => fake.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
    const addr = fake.server.address();
    const port = typeof addr === 'object' && addr ? addr.port : 0;
    fake.url = `http://${options.host ?? '127.0.0.1'}:${port}`;
    return fake;
  }

  /** Merges switch values (see Switches). */
  set(partial: Partial<Switches>): this {
    this.switches = { ...this.switches, ...partial };
    return this;
  }

  /** Queues a fault for the next matching request(s). */
  fault(f: Fault): this {
    this.faults.push({ ...f, times: f.times ?? 1 });
    return this;
  }

  setDownloadSwitches(s: Record<string, unknown>): this {
    this.downloadSwitches = { ...this.downloadSwitches, ...s };
    return this;
  }

  /**
   * Every file's bytes from `byte` on are answered only once `release()` is called (the download
   * endpoint's `holdAt`, for every file). At a multiple of the client's chunk size (it asks for one
   * chunk per request) the bytes before it reach the client's disk: a test that acts while a
   * download is unfinished waits for those bytes, not for a time, and the download cannot end
   * meanwhile however fast or loaded the machine (issue #20: no test depends on a relative speed).
   * A request cut meanwhile (pause, cancel, shutdown) ends its hold; `reset()` or other download
   * switches remove it for the requests after.
   */
  holdDownloads(byte: number): { release: () => void } {
    let release!: () => void;
    const until = new Promise<void>((r) => (release = r));
    this.setDownloadSwitches({ '*': { holdAt: { byte, until } } });
    return { release };
  }

  /** Back to defaults: switches, faults, jobs, log, download switches and state. */
  reset(): this {
    this.switches = { ...DEFAULT_SWITCHES };
    this.faults = [];
    this.jobs.clear();
    this.log.length = 0;
    this.downloadSwitches = {};
    this.downloadState.clear();
    return this;
  }

  /** Logged invoke requests, optionally of one service. */
  invokes(service?: string): LoggedRequest[] {
    return this.log.filter((r) => r.path === '/api/v0/invoke' && r.service !== 'Mast.Name.Lookup' && (!service || r.service === service));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------

  private takeFault(scope: FaultScope, service?: string): Fault | undefined {
    const i = this.faults.findIndex((f) => {
      const s = f.scope ?? 'invoke';
      if (s !== 'any' && s !== scope) return false;
      return !f.service || f.service === service;
    });
    if (i < 0) return undefined;
    const f = this.faults[i]!;
    const left = (f.times ?? 1) - 1;
    if (left <= 0) this.faults.splice(i, 1);
    else this.faults[i] = { ...f, times: left };
    return f;
  }

  /** Applies a fault; returns true when the response has been dealt with. */
  private applyFault(f: Fault | undefined, req: IncomingMessage, res: ServerResponse): boolean | Promise<boolean> {
    if (!f) return false;
    switch (f.mode) {
      case 'reset':
        req.socket.destroy();
        return true;
      case 'stall':
        return true; // never answer; the socket stays open until the client gives up
      case 'http': {
        const headers: Record<string, string> = { 'content-type': f.html === false ? 'application/json' : 'text/html' };
        if (f.retryAfter !== undefined) headers['retry-after'] = f.retryAfter;
        res.writeHead(f.status, headers);
        res.end(f.html === false ? JSON.stringify({ error: `status ${f.status}` }) : nginxPage(f.status));
        return true;
      }
      case 'html-200':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><head><title>MAST Maintenance</title></head><body><h1>MAST is down for scheduled maintenance</h1></body></html>');
        return true;
      case 'delay':
        return new Promise((r) => setTimeout(() => r(false), f.ms));
      default:
        return false; // error-status and empty are answered by the invoke handler
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    const body = await readBody(req);
    const path = url.pathname;
    let service: string | undefined;
    let request: Record<string, unknown> | undefined;
    if (path === '/api/v0/invoke') {
      const raw = req.method === 'GET' ? url.searchParams.get('request') : new URLSearchParams(body).get('request');
      try {
        request = raw ? (JSON.parse(raw) as Record<string, unknown>) : undefined;
        service = typeof request?.service === 'string' ? request.service : undefined;
      } catch {
        request = undefined;
      }
    }
    if (!path.startsWith('/__fake/')) {
      this.log.push({ method: req.method ?? 'GET', path, query: url.search, ...(service ? { service } : {}), body, headers: req.headers, at: Date.now() });
    }
    if (this.switches.latencyMs > 0 && !path.startsWith('/__fake/')) await sleep(this.switches.latencyMs);

    if (path.startsWith('/__fake/')) return this.admin(path, req, res, body);
    if (path === '/api/v0/invoke') {
      const scope: FaultScope = service === 'Mast.Name.Lookup' ? 'resolver' : 'invoke';
      const fault = this.takeFault(scope, service);
      if (await this.applyFault(fault, req, res)) return;
      return this.invoke(request, res, fault);
    }
    if (path === '/portal/Mashup/Mashup.asmx/columnsconfig') {
      if (await this.applyFault(this.takeFault('columnsconfig'), req, res)) return;
      return this.columnsconfig(new URLSearchParams(body).get('colConfigId') ?? '', res);
    }
    if (path === '/Santa-war/query') {
      const fault = this.takeFault('resolver', 'SANTA');
      if (await this.applyFault(fault, req, res)) return;
      const names = url.searchParams.getAll('name');
      const resolved = names.flatMap((n) => (this.dataset.names.get(n.trim().toLowerCase()) ?? []).map((e) => ({ ...e, searchString: n.toLowerCase() })));
      return json(res, { resolvedCoordinate: resolved, status: '' });
    }
    if (path === '/api/v0.1/Download/file' || path === '/api/v0.1/Download/file/') {
      if (await this.applyFault(this.takeFault('download'), req, res)) return;
      const uri = url.searchParams.get('uri');
      const file = uri ? this.lookup(uri) : undefined;
      await file?.load(); // handlers may call file.bytes() synchronously
      const ctx: DownloadRequestContext = {
        req, res, url, uri,
        file,
        lookup: (u) => this.lookup(u),
        authorized: this.authorized(req),
        switches: this.downloadSwitches,
        state: this.downloadState,
        baseUrl: this.url,
      };
      return handleDownload(ctx);
    }
    if (path === '/api/v0.1/path_lookup' || path === '/api/v0.1/path_lookup/') {
      // MAST's cloud path lookup: {uri: {status_code, path}}, path with a leading '/'; more than 40 URIs is a 414 there.
      const uris = url.searchParams.getAll('uri');
      if (uris.length > 40) {
        res.writeHead(414, { 'content-type': 'text/html' });
        res.end(nginxPage(414));
        return;
      }
      const out: Record<string, { status_code: number; path: string | null }> = {};
      for (const u of uris) {
        const file = this.lookup(u);
        out[u] = file && !this.notInCloud.has(u.trim().toLowerCase()) ? { status_code: 200, path: `/${cloudKeyOf(file.filename)}` } : { status_code: 404, path: null };
      }
      return json(res, out);
    }
    if (path === '/whoami') {
      const ok = this.authorized(req);
      return json(res, ok
        ? { anon: false, attrib: { display_name: 'Fake User' }, eppn: 'fake@stsci.edu', ezid: 'fakeuser', scopes: ['mast:user:info', 'mast:exclusive_access'], session: null, token: '[redacted]' }
        : { anon: true, attrib: {}, eppn: '', ezid: 'anonymous', scopes: [], session: null, token: null });
    }
    res.writeHead(404, { 'content-type': 'text/html' });
    res.end(nginxPage(404));
  }

  private lookup(uri: string): FakeFile | undefined {
    return this.dataset.files.get(uri.trim().toLowerCase());
  }

  private authorized(req: IncomingMessage): boolean {
    const auth = String(req.headers.authorization ?? '');
    const m = /^token\s+(\S+)$/i.exec(auth);
    if (m && this.tokens.has(m[1]!)) return true;
    const cookie = /(?:^|;\s*)mast_token=([^;]+)/.exec(String(req.headers.cookie ?? ''));
    return !!cookie && this.tokens.has(cookie[1]!);
  }

  private admin(path: string, req: IncomingMessage, res: ServerResponse, body: string): void {
    const input = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    if (path === '/__fake/switches' && req.method === 'POST') this.set(input as Partial<Switches>);
    else if (path === '/__fake/faults' && req.method === 'POST') this.fault(input as Fault);
    else if (path === '/__fake/download-switches' && req.method === 'POST') this.setDownloadSwitches(input);
    else if (path === '/__fake/reset' && req.method === 'POST') this.reset();
    else if (path === '/__fake/log') return json(res, this.log.map(({ headers: _h, ...r }) => r));
    else if (path !== '/__fake/switches') return json(res, { error: 'unknown admin path' }, 404);
    json(res, { switches: this.switches, faults: this.faults, downloadSwitches: this.downloadSwitches });
  }

  private columnsconfig(id: string, res: ServerResponse): void {
    if (id === 'Mast.Caom.Cone' || id === 'Mast.Caom.Filtered' || id === 'Mast.Caom.Filtered.Position') {
      this.columnsConfig ??= JSON.parse(readFileSync(join(FIXTURES_DIR, 'mast-samples', 'columnsconfig.json'), 'utf8')) as Record<string, unknown>;
      return json(res, this.columnsConfig);
    }
    if (id === 'Mast.Caom.Products') {
      const cols: Record<string, unknown> = {};
      for (const name of ['obsID', 'obs_collection', 'dataproduct_type', 'obs_id', 'description', 'type', 'dataURI', 'productType', 'productGroupDescription',
        'productSubGroupDescription', 'productDocumentationURL', 'project', 'prvversion', 'proposal_id', 'productFilename', 'size', 'parent_obsid', 'dataRights', 'calib_level', 'filters']) {
        cols[name] = { text: name, 'vot.datatype': name === 'size' || name === 'calib_level' ? 'int' : ID_COLUMNS.has(name) ? 'long' : 'char' };
      }
      return json(res, cols);
    }
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(''); // unknown id: empty body, as MAST
  }

  private async invoke(request: Record<string, unknown> | undefined, res: ServerResponse, fault: Fault | undefined): Promise<void> {
    if (!request || typeof request.service !== 'string') {
      return json(res, envelope('ERROR', 'Request could not be parsed: a JSON object with "service" and "params" is required.', [], 1, 1000));
    }
    const service = request.service;
    const params = (request.params ?? {}) as Record<string, unknown>;
    if (service === 'Mast.Name.Lookup') {
      const input = String(params.input ?? '').trim();
      const found = this.dataset.names.get(input.toLowerCase()) ?? [];
      return json(res, { resolvedCoordinate: found.map((e) => ({ ...e, searchString: input.toLowerCase() })), status: '' });
    }
    if (fault?.mode === 'error-status') return json(res, envelope('ERROR', fault.msg ?? "Incorrect syntax near '*'.", [], 1, 1000));
    if (fault?.mode === 'empty') return json(res, {});

    // Long polling: a job is the request minus its page; its first polls answer EXECUTING.
    const { page: _p, ...jobKeyObj } = request;
    const jobKey = JSON.stringify(jobKeyObj);
    const polls = this.jobs.get(jobKey) ?? 0;
    if (polls < this.switches.executingPolls) {
      this.jobs.set(jobKey, polls + 1);
      if (this.switches.executingHoldMs > 0) await sleep(this.switches.executingHoldMs);
      return json(res, { status: 'EXECUTING', msg: '', 'percent complete': Math.round((100 * polls) / this.switches.executingPolls), data: [], fields: [] });
    }
    this.jobs.set(jobKey, polls + 1);

    let rows: Row[];
    try {
      rows = this.query(service, params);
    } catch (err) {
      return json(res, envelope('ERROR', err instanceof Error ? err.message : String(err), [], 1, 1000));
    }
    const page = Math.max(1, Number(request.page ?? 1) || 1);
    const pageSize = Math.max(1, Number(request.pagesize ?? this.switches.defaultPageSize) || this.switches.defaultPageSize);
    const slice = rows.slice((page - 1) * pageSize, page * pageSize);
    return json(res, envelope('COMPLETE', '', slice.map((r) => this.present(r)), page, pageSize, rows.length, fieldsOf(rows)));
  }

  private present(row: Row): Row {
    const out: Row = {};
    for (const [k, v] of Object.entries(row)) out[k] = this.switches.idsAsStrings && ID_COLUMNS.has(k) && v !== null ? String(v) : v;
    if (!('Column1' in row)) out._selected_ = null; // counts come without the UI column (countsResp.json)
    return out;
  }

  private query(service: string, params: Record<string, unknown>): Row[] {
    switch (service) {
      case 'Mast.Caom.Cone': {
        const [ra, dec, r] = [Number(params.ra), Number(params.dec), Number(params.radius ?? 0.2)];
        if (![ra, dec, r].every(Number.isFinite)) throw new Error('ra, dec and radius must be numbers');
        return cone(this.dataset.observations, ra, dec, r);
      }
      case 'Mast.Caom.Filtered':
      case 'Mast.Caom.Filtered.Position': {
        let rows = this.dataset.observations;
        if (service === 'Mast.Caom.Filtered.Position') {
          const parts = String(params.position ?? '').split(',').map((s) => Number(s.trim()));
          if (parts.length !== 3 || !parts.every(Number.isFinite)) throw new Error(`Invalid position "${String(params.position)}": expected "ra, dec, radius"`);
          rows = cone(rows, parts[0]!, parts[1]!, parts[2]!);
        }
        const filters = Array.isArray(params.filters) ? (params.filters as FilterSpec[]) : [];
        if (service === 'Mast.Caom.Filtered' && filters.length === 0) throw new Error('At least one filter is required.');
        rows = rows.filter((row) => filters.every((f) => filterMatches(row, f)));
        return project(rows, String(params.columns ?? '*'));
      }
      case 'Mast.Caom.Products': {
        const ids = String(params.obsid ?? '').split(',').map((s) => s.trim()).filter(Boolean);
        if (ids.length === 0) throw new Error('obsid is required.');
        for (const id of ids) if (!/^\d+$/.test(id)) throw new Error(`Error converting data type nvarchar to bigint. ('${id}')`);
        return ids.flatMap((id) => this.dataset.productsByObsid.get(id) ?? []);
      }
      default:
        throw new Error(`Unknown service: ${service}`);
    }
  }
}

interface FilterSpec {
  paramName?: unknown;
  values?: unknown;
  separator?: unknown;
  freeText?: unknown;
}

function cellOf(row: Row, param: string): Cell | undefined {
  if (param in row) return row[param];
  const lower = param.toLowerCase();
  const key = Object.keys(row).find((k) => k.toLowerCase() === lower);
  return key === undefined ? undefined : row[key];
}

function like(pattern: string): RegExp {
  const re = pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/%/g, '.*').replace(/_/g, '.');
  return new RegExp(`^${re}$`, 'is');
}

function filterMatches(row: Row, f: FilterSpec): boolean {
  const name = String(f.paramName ?? '');
  if (!name) return true;
  const cell = cellOf(row, name);
  const values = Array.isArray(f.values) ? f.values : [];
  const freeText = typeof f.freeText === 'string' && f.freeText !== '' ? f.freeText : undefined;
  if (values.length === 0 && !freeText) return true;
  if (cell === null || cell === undefined) return false;
  const ranges = values.filter((v): v is { min: unknown; max: unknown } => typeof v === 'object' && v !== null);
  if (ranges.length) {
    const n = Number(cell);
    return ranges.some((r) => n >= Number(r.min) && n <= Number(r.max));
  }
  const sep = typeof f.separator === 'string' && f.separator ? f.separator : undefined;
  const parts = sep ? String(cell).split(sep).map((s) => s.trim()) : [String(cell)];
  const wanted = values.map((v) => String(v).toLowerCase());
  if (parts.some((p) => wanted.includes(p.toLowerCase()))) return true;
  return freeText !== undefined && (like(freeText).test(String(cell)) || parts.some((p) => like(freeText).test(p)));
}

const RAD = Math.PI / 180;
function separationDeg(ra1: number, dec1: number, ra2: number, dec2: number): number {
  const s = Math.sin(((dec2 - dec1) * RAD) / 2) ** 2 + Math.cos(dec1 * RAD) * Math.cos(dec2 * RAD) * Math.sin(((ra2 - ra1) * RAD) / 2) ** 2;
  return (2 * Math.asin(Math.min(1, Math.sqrt(s)))) / RAD;
}

function cone(rows: Row[], ra: number, dec: number, radius: number): Row[] {
  const out: Row[] = [];
  for (const row of rows) {
    const d = separationDeg(ra, dec, Number(row.s_ra), Number(row.s_dec));
    if (d <= radius) out.push({ ...row, distance: d * 3600 });
  }
  return out;
}

function project(rows: Row[], columns: string): Row[] {
  const c = columns.trim();
  if (c === '' || c === '*') return rows;
  if (/^COUNT_BIG\(\*\)$/i.test(c)) return [{ Column1: rows.length }];
  const names = c.split(',').map((s) => s.trim()).filter(Boolean);
  return rows.map((r) => Object.fromEntries(names.map((n) => [n, cellOf(r, n) ?? null])));
}

function fieldsOf(rows: Row[]): Array<{ name: string; type: string }> {
  const first = rows[0];
  const names = first ? Object.keys(first) : [];
  const fields = names.map((name) => {
    if (ID_COLUMNS.has(name) || name === 'Column1') return { name, type: 'string' };
    if (INT_COLUMNS.has(name)) return { name, type: 'int' };
    const sample = rows.find((r) => r[name] !== null && r[name] !== undefined)?.[name];
    return { name, type: typeof sample === 'number' ? 'float' : typeof sample === 'boolean' ? 'boolean' : 'string' };
  });
  if (names.length && !names.includes('Column1')) fields.push({ name: '_selected_', type: 'boolean' });
  return fields;
}

function envelope(status: string, msg: string, data: Row[], page: number, pageSize: number, total = data.length, fields: Array<{ name: string; type: string }> = []) {
  return {
    status,
    msg,
    data,
    fields,
    paging: { page, pageSize, pagesFiltered: Math.max(1, Math.ceil(total / pageSize)), rows: data.length, rowsFiltered: total, rowsTotal: total },
  };
}

function json(res: ServerResponse, value: unknown, status = 200): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function nginxPage(status: number): string {
  const text: Record<number, string> = { 404: 'Not Found', 429: 'Too Many Requests', 500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Temporarily Unavailable', 504: 'Gateway Time-out' };
  const t = `${status} ${text[status] ?? 'Error'}`;
  return `<html>\r\n<head><title>${t}</title></head>\r\n<body>\r\n<center><h1>${t}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
