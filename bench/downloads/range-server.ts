/**
 * A plain HTTP file server for the download benchmark: HEAD, GET, single Range (206/416),
 * ETag and Last-Modified, streaming from disk. Run as its own process so its CPU is not counted
 * against the client under test. Usage: node range-server.js <dir>  (prints "listening <port>").
 */
import { createReadStream, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { basename, join } from 'node:path';
import { declareEventLoopRole } from '../lib/event-loop-role.js';

declareEventLoopRole('helper');

const dir = process.argv[2];
if (!dir) throw new Error('usage: range-server <dir>');

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://x');
  // Accept both /files/<name> and the MAST form /api/v0.1/Download/file?uri=mast:X/<name>.
  const name = basename(url.searchParams.get('uri') ?? url.pathname);
  let size: number;
  let mtime: Date;
  try {
    const st = statSync(join(dir, name));
    size = st.size;
    mtime = st.mtime;
  } catch {
    res.writeHead(404).end();
    return;
  }
  const headers: Record<string, string | number> = {
    'accept-ranges': 'bytes',
    'content-type': 'application/octet-stream',
    etag: `"${size.toString(16)}-${mtime.getTime().toString(16)}"`,
    'last-modified': mtime.toUTCString(),
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const m = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
  if (m) {
    start = Number(m[1]);
    end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
    if (start >= size) {
      res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
      return;
    }
    status = 206;
    headers['content-range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['content-length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || end < start) {
    res.end();
    return;
  }
  createReadStream(join(dir, name), { start, end, highWaterMark: 1 << 20 }).pipe(res);
});
server.keepAliveTimeout = 30_000;
server.listen(0, '127.0.0.1', () => {
  const addr = server.address();
  process.stdout.write(`listening ${typeof addr === 'object' && addr ? addr.port : 0}\n`);
});
