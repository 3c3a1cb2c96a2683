/** Helpers for running the Python reference side of a benchmark, when the stack is installed. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const PYTHON = '/usr/bin/python3';

/** True when /usr/bin/python3 can import every module named. */
export function pythonHas(...modules: string[]): boolean {
  if (!existsSync(PYTHON)) return false;
  const r = spawnSync(PYTHON, ['-c', modules.map((m) => `import ${m}`).join('; ')], { stdio: 'ignore' });
  return r.status === 0;
}

/** Runs a Python script with arguments and parses the JSON object it prints on its last line. */
export function runPythonJson<T>(script: string, args: string[] = [], env: Record<string, string> = {}): T {
  const r = spawnSync(PYTHON, [script, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${script} failed: ${r.stderr}`);
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] ?? '{}') as T;
}
