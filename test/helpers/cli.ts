/** Runs the CLI (src/cli/main.ts through tsx) in a child process and collects its output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './paths.js';

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * `jwst-engine ...args` from the repository root; `env` adds to the environment (LOG_LEVEL silent by default).
 * `onStart` gets the child as soon as it is spawned (e.g. to send it SIGINT).
 */
export function runCli(args: readonly string[], env: Record<string, string> = {}, onStart?: (child: ChildProcess) => void): Promise<CliResult> {
  return runTsx(['src/cli/main.ts', ...args], env, onStart);
}

/** `node --import tsx ...args` from the repository root (a script file and its arguments), as `runCli`. */
export function runTsx(args: readonly string[], env: Record<string, string> = {}, onStart?: (child: ChildProcess) => void): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'silent', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    onStart?.(child);
  });
}
