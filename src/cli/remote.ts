/**
 * Talking to a running engine from the CLI: `--engine URL` (default JWST_ENGINE_URL, else
 * http://127.0.0.1:8000) and `--token TOKEN` (default JWST_ENGINE_TOKEN), a JWT or an API key sent
 * as `Authorization: Bearer`. Both are program-wide options, so they go before or after the command.
 */
import type { Command } from 'commander';

export const ENGINE_URL_ENV = 'JWST_ENGINE_URL';
export const ENGINE_TOKEN_ENV = 'JWST_ENGINE_TOKEN';
const DEFAULT_ENGINE = 'http://127.0.0.1:8000';

/** Adds `--engine` and `--token` to the program. */
export function remoteOptions(program: Command): Command {
  return program
    .option('--engine <url>', `engine to talk to, for the commands that use one (default: ${ENGINE_URL_ENV}, else ${DEFAULT_ENGINE})`)
    .option('--token <token>', `bearer token (JWT or API key jwk_...) for that engine (default: ${ENGINE_TOKEN_ENV})`);
}

/** An engine's answer that was not a success, with the engine's own message. */
export class RemoteError extends Error {
  constructor(readonly status: number, detail: string) {
    super(`the engine answered ${status}: ${detail}`);
    this.name = 'RemoteError';
  }
}

export class RemoteEngine {
  readonly baseUrl: string;

  constructor(baseUrl: string, readonly token: string | undefined) {
    const url = new URL(baseUrl); // throws on a malformed URL, naming it
    if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--engine: expected an http(s) URL, got ${baseUrl}`);
    this.baseUrl = url.href.replace(/\/+$/, '');
  }

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (err) {
      throw new Error(`cannot reach the engine at ${this.baseUrl} (${err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)})`);
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text.slice(0, 300) || res.statusText;
      try {
        const parsed = JSON.parse(text) as { detail?: unknown };
        if (typeof parsed.detail === 'string') detail = parsed.detail;
      } catch {
        // not JSON: the text itself
      }
      const hint = res.status === 401 && !this.token ? ` (give a token: --token or ${ENGINE_TOKEN_ENV})` : '';
      throw new RemoteError(res.status, `${detail}${hint}`);
    }
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/** Whether the user named an engine (option or environment); commands with a local mode use it then. */
export function engineNamed(command: Command, env: NodeJS.ProcessEnv = process.env): boolean {
  return typeof command.optsWithGlobals().engine === 'string' || Boolean(env[ENGINE_URL_ENV]);
}

/** The engine the program options and environment name. */
export function remoteEngine(command: Command, env: NodeJS.ProcessEnv = process.env): RemoteEngine {
  const opts = command.optsWithGlobals() as { engine?: string; token?: string };
  return new RemoteEngine(opts.engine ?? (env[ENGINE_URL_ENV] || DEFAULT_ENGINE), opts.token ?? (env[ENGINE_TOKEN_ENV] || undefined));
}
