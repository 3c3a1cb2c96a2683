/**
 * glibc reads GLIBC_TUNABLES once, at process start: a bench that measures our side with them
 * (e.g. huge pages for large arrays, as `npm start` runs the engine) runs itself again in a child
 * process that has them.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * When this process lacks `tunables`, runs the bench file `url` (its `import.meta.url`) again with
 * them added and resolves with the child's exit code (spawn, so this process's event loop stays
 * idle while it waits); resolves undefined when the process has them already or `tunables` is ''.
 */
export async function rerunWithTunables(tunables: string, url: string): Promise<number | undefined> {
  if (!tunables || (process.env.GLIBC_TUNABLES ?? '').includes(tunables)) return undefined;
  const env = { ...process.env, GLIBC_TUNABLES: [process.env.GLIBC_TUNABLES, tunables].filter(Boolean).join(':') };
  const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(url)], { stdio: 'inherit', env });
  return new Promise<number>((resolve) => child.on('close', (code) => resolve(code ?? 1)));
}
