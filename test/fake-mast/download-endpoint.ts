/**
 * The fake MAST `Download/file` endpoint (mast-protocol.md §4.2, §6.5): HEAD and GET with
 * Accept-Ranges, ETag/Last-Modified, 206/416 and If-Range, plus per-file switches for every
 * failure the downloader must survive. Usable inside the fake MAST server (`handle(req, res)`)
 * or standalone (`startDownloadServer`).
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { DownloadHandler } from './download-types.js';

export interface CountedFault {
  /** How many requests (from now on) suffer it. */
  count: number;
  /** Body bytes sent before the fault strikes. */
  afterBytes: number;
}

export interface DownloadFaults {
  /** Every request for the file gets this status (401, 403, 404, ...). */
  status?: number;
  /** 401 unless `Authorization: token <t>` or cookie `mast_token=<t>`. */
  requireToken?: string;
  /** The next N GETs answer 503 (HTML body, like nginx). */
  serverErrors?: number;
  /** The next N GETs answer 429 with this Retry-After. */
  rateLimited?: { count: number; retryAfterSeconds: number };
  /** The next N GET bodies are cut by a TCP reset after `afterBytes`. */
  resetMidBody?: CountedFault;
  /** The next N GET bodies end (connection closed) after `afterBytes`, short of Content-Length. */
  truncateBody?: CountedFault;
  /** The next N GET bodies stop sending after `afterBytes` and hang. */
  stallBody?: CountedFault;
  /** Answer every Range request with 200 and the whole file. */
  ignoreRange?: boolean;
  /** No Content-Length (chunked body; HEAD without length). */
  noContentLength?: boolean;
  /** The next N Range GETs answer 416 with the real length. */
  force416?: number;
  /** After this many GETs, the file is replaced by `data` (new ETag and Last-Modified). */
  changeAfterGets?: { gets: number; data: Buffer };
  /** Redirect (302) to this origin's `/storage/file?uri=` (same fake behind another port). */
  redirectToOrigin?: string;
  /** Send no more than this many body bytes per second. */
  bytesPerSecond?: number;
  /**
   * The file's bytes from `byte` on are sent once `until` resolves: a GET for bytes from `byte` on
   * is answered (headers too) only then, and a body that starts before `byte` sends the bytes up to
   * it and waits there (the client may close meanwhile). For a test that must act while a download
   * is surely unfinished, whatever the machine's speed, instead of after a fixed sleep (issue #20).
   * A `byte` on a boundary of the client's pieces holds only whole requests, so the bytes before it
   * reach the client's disk (a writer in the middle of a body keeps them in memory meanwhile).
   */
  holdAt?: { byte: number; until: Promise<unknown> };
  noEtag?: boolean;
  noLastModified?: boolean;
  /** Status for HEAD only (e.g. 405 when HEAD is refused). */
  headStatus?: number;
}

export interface FakeFile {
  data: Buffer;
  etag: string;
  lastModified: string;
  version: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  uri: string;
  range: string | undefined;
  ifRange: string | undefined;
  authorization: string | undefined;
  status: number;
}

function etagOf(data: Buffer, version: number): string {
  return `"${createHash('sha256').update(data).digest('hex').slice(0, 16)}-${version}"`;
}

export class FakeDownloadEndpoint {
  readonly files = new Map<string, FakeFile>();
  readonly faults = new Map<string, DownloadFaults>();
  readonly requests: RecordedRequest[] = [];
  private readonly getCounts = new Map<string, number>();
  private readonly openSockets = new Set<Socket>();

  /** Serves `data` under the MAST URI `uri` (e.g. `mast:JWST/product/x_cal.fits`). */
  addFile(uri: string, data: Buffer, faults: DownloadFaults = {}): void {
    const version = (this.files.get(uri)?.version ?? 0) + 1;
    this.files.set(uri, { data, etag: etagOf(data, version), lastModified: new Date(Date.UTC(2024, 0, 1) + version * 1000).toUTCString(), version });
    this.faults.set(uri, faults);
  }

  setFaults(uri: string, faults: DownloadFaults): void {
    this.faults.set(uri, faults);
  }

  /** The `{base}/api/v0.1/Download/file?uri=` URL clients use. */
  static urlFor(base: string, uri: string): string {
    return `${base}/api/v0.1/Download/file?uri=${encodeURIComponent(uri).replace(/%3A/gi, ':').replace(/%2F/gi, '/')}`;
  }

  /** Handles the request when it is for this endpoint; returns false otherwise. */
  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/\/+$/, '');
    const isMast = path === '/api/v0.1/Download/file';
    const isStorage = path === '/storage/file';
    if (!isMast && !isStorage) return false;
    const socket = req.socket;
    if (socket && !this.openSockets.has(socket)) {
      this.openSockets.add(socket);
      socket.once('close', () => this.openSockets.delete(socket));
    }
    const uri = url.searchParams.get('uri') ?? '';
    const record = (status: number) =>
      this.requests.push({
        method: req.method ?? 'GET',
        path,
        uri,
        range: req.headers.range,
        ifRange: req.headers['if-range'] as string | undefined,
        authorization: req.headers.authorization,
        status,
      });
    const fail = (status: number, headers: Record<string, string> = {}, body = `<html><body><h1>${status}</h1></body></html>`) => {
      record(status);
      res.writeHead(status, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(req.method === 'HEAD' ? undefined : body);
      return true;
    };
    if (req.method !== 'GET' && req.method !== 'HEAD') return fail(405, { allow: 'GET, HEAD' });
    const faults = this.faults.get(uri) ?? {};
    let file = this.files.get(uri);
    if (!file) return fail(404);
    if (faults.status) return fail(faults.status);
    if (faults.requireToken) {
      const auth = req.headers.authorization;
      const cookie = req.headers.cookie ?? '';
      if (auth !== `token ${faults.requireToken}` && !cookie.split(/;\s*/).includes(`mast_token=${faults.requireToken}`)) return fail(401);
    }
    if (isMast && faults.redirectToOrigin) {
      record(302);
      res.writeHead(302, { location: `${faults.redirectToOrigin}/storage/file?uri=${encodeURIComponent(uri)}`, 'content-length': 0 });
      res.end();
      return true;
    }
    if (req.method === 'HEAD' && faults.headStatus) return fail(faults.headStatus);

    if (req.method === 'GET') {
      const n = (this.getCounts.get(uri) ?? 0) + 1;
      this.getCounts.set(uri, n);
      if (faults.changeAfterGets && n > faults.changeAfterGets.gets) {
        const next = faults.changeAfterGets.data;
        delete faults.changeAfterGets;
        this.files.set(uri, { data: next, etag: etagOf(next, file.version + 1), lastModified: new Date(Date.parse(file.lastModified) + 60_000).toUTCString(), version: file.version + 1 });
        file = this.files.get(uri)!;
      }
      if (faults.serverErrors && faults.serverErrors > 0) {
        faults.serverErrors--;
        return fail(503, {}, '<html><head><title>503 Service Temporarily Unavailable</title></head><body><center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>');
      }
      if (faults.rateLimited && faults.rateLimited.count > 0) {
        faults.rateLimited.count--;
        return fail(429, { 'retry-after': String(faults.rateLimited.retryAfterSeconds) });
      }
    }

    const total = file.data.length;
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream', 'accept-ranges': 'bytes' };
    if (!faults.noEtag) headers.etag = file.etag;
    if (!faults.noLastModified) headers['last-modified'] = file.lastModified;

    let start = 0;
    let end = total - 1;
    let status = 200;
    const range = req.headers.range;
    const ifRange = req.headers['if-range'];
    const ifRangeOk = ifRange === undefined || ifRange === file.etag || ifRange === file.lastModified;
    if (range && !faults.ignoreRange && ifRangeOk) {
      const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
      if (m && (m[1] !== '' || m[2] !== '')) {
        if (m[1] === '') {
          start = Math.max(0, total - Number(m[2]));
        } else {
          start = Number(m[1]);
          end = m[2] === '' ? total - 1 : Math.min(Number(m[2]), total - 1);
        }
        const force = req.method === 'GET' && faults.force416 !== undefined && faults.force416 > 0;
        if (force) faults.force416!--;
        if (force || start >= total || end < start) return fail(416, { 'content-range': `bytes */${total}` });
        status = 206;
        headers['content-range'] = `bytes ${start}-${end}/${total}`;
      }
    }
    const body = file.data.subarray(start, end + 1);
    if (!faults.noContentLength) headers['content-length'] = String(body.length);
    record(status);
    const answer = () => {
      res.writeHead(status, headers);
      if (req.method === 'HEAD') res.end();
      else void this.sendBody(req, res, body, faults, start);
    };
    const hold = faults.holdAt;
    if (req.method === 'GET' && hold && start >= hold.byte && start < total) {
      const closes = new Promise<void>((r) => res.once('close', r));
      void Promise.race([hold.until.then(() => true), closes.then(() => false)]).then((go) => go && !res.destroyed && answer());
    } else answer();
    return true;
  }

  /** Connections still open (a stalled body keeps one). */
  destroyOpenSockets(): void {
    for (const s of this.openSockets) s.destroy();
    this.openSockets.clear();
  }

  private async sendBody(req: IncomingMessage, res: ServerResponse, body: Buffer, faults: DownloadFaults, start: number): Promise<void> {
    const take = (f: CountedFault | undefined): number | undefined => {
      if (!f || f.count <= 0) return undefined;
      f.count--;
      return f.afterBytes;
    };
    const resetAt = take(faults.resetMidBody);
    const truncateAt = resetAt === undefined ? take(faults.truncateBody) : undefined;
    const stallAt = resetAt === undefined && truncateAt === undefined ? take(faults.stallBody) : undefined;
    const cut = resetAt ?? truncateAt ?? stallAt;
    const limit = cut === undefined ? body.length : Math.min(cut, body.length);
    const piece = faults.bytesPerSecond ? Math.max(1, Math.floor(faults.bytesPerSecond / 20)) : 64 * 1024;
    let closed = false;
    const closes = new Promise<void>((r) => res.once('close', () => r(void (closed = true))));
    // Where this body reaches the held bytes (relative to its first byte), if it does.
    const holdFrom = faults.holdAt ? Math.max(0, faults.holdAt.byte - start) : Number.POSITIVE_INFINITY;
    let held = false;
    for (let pos = 0; pos < limit && !closed;) {
      if (!held && pos >= holdFrom) {
        await Promise.race([faults.holdAt!.until, closes]);
        held = true;
        continue;
      }
      const end = Math.min(limit, pos + piece, held || holdFrom <= pos ? limit : holdFrom);
      const ok = res.write(body.subarray(pos, end));
      pos = end;
      if (faults.bytesPerSecond) await new Promise((r) => setTimeout(r, 50));
      else if (!ok) await drainOrClose(res);
    }
    if (closed) return;
    if (resetAt !== undefined) {
      await new Promise((r) => setTimeout(r, 5));
      req.socket.resetAndDestroy();
    } else if (truncateAt !== undefined) {
      await new Promise((r) => setTimeout(r, 5));
      req.socket.destroy();
    } else if (stallAt !== undefined) {
      // Hang: keep the socket open, send nothing, until the client gives up.
    } else res.end();
  }
}

/** Waits for 'drain' or 'close', removing the other listener so waits do not pile up on the response. */
function drainOrClose(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off('drain', done).off('close', done);
      resolve();
    };
    res.on('drain', done).on('close', done);
  });
}

/** A plain HTTP server with only the download endpoint, on a free loopback port. */
export async function startDownloadServer(endpoint: FakeDownloadEndpoint): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    if (!endpoint.handle(req, res)) {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end('{"detail":"Not Found"}');
    }
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    async close() {
      endpoint.destroyOpenSockets();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/**
 * The hook the fake MAST server (server.ts) delegates `Download/file` to. Files come from the
 * fake's dataset; faults come from the server's download switches, keyed by URI or `*`
 * (`fake.setDownloadSwitches({ 'mast:JWST/product/x.fits': { serverErrors: 2 } })`).
 */
export const handleDownload: DownloadHandler = ({ req, res, uri, file, authorized, switches, state }) => {
  let endpoint = state.get('endpoint') as FakeDownloadEndpoint | undefined;
  if (!endpoint) {
    endpoint = new FakeDownloadEndpoint();
    state.set('endpoint', endpoint);
  }
  const seen = (state.get('faultSources') as Map<string, unknown> | undefined) ?? new Map<string, unknown>();
  state.set('faultSources', seen);
  if (uri && file) {
    if (!endpoint.files.has(uri)) endpoint.addFile(uri, file.bytes());
    const source = (switches[uri] ?? switches['*'] ?? {}) as DownloadFaults;
    if (seen.get(uri) !== source) {
      seen.set(uri, source);
      endpoint.setFaults(uri, source);
    }
    if (file.dataRights !== 'PUBLIC' && !authorized) {
      res.writeHead(401, { 'content-type': 'text/plain' });
      res.end('Unauthorized: this file is under exclusive access; send a valid token.');
      return;
    }
  }
  if (!endpoint.handle(req, res)) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('File not found');
  }
};
