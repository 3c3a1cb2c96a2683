/**
 * The contract between the fake MAST's router (server.ts) and the Download/file handler module
 * `download-endpoint.ts` (owned by the downloads work). If `download-endpoint.ts` exists and
 * exports `handleDownload: DownloadHandler`, the server delegates every request to
 * `/api/v0.1/Download/file` and `/api/v0.1/Download/file/` (GET and HEAD) to it; otherwise a
 * simple built-in handler answers (200 with the full body, 401/404, no Range support).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FakeFile } from './dataset.js';

export interface DownloadRequestContext {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
  /** The decoded `uri` query parameter, or null. */
  readonly uri: string | null;
  /** The file for `uri` (case-insensitive), if the dataset has it; already loaded, so `file.bytes()` works. */
  readonly file: FakeFile | undefined;
  lookup(uri: string): FakeFile | undefined;
  /** True when the request carries a valid `Authorization: token ...` or `mast_token` cookie. */
  readonly authorized: boolean;
  /** Free-form switches for the download handler, set with `fake.setDownloadSwitches({...})` or
   *  `POST /__fake/download-switches` (JSON); cleared by `fake.reset()`. */
  readonly switches: Record<string, unknown>;
  /** Per-server scratch state for the handler (cleared by `fake.reset()`). */
  readonly state: Map<string, unknown>;
  /** The fake's own base URL (e.g. for redirects to a second path). */
  readonly baseUrl: string;
}

export type DownloadHandler = (ctx: DownloadRequestContext) => void | Promise<void>;
