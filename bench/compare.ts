/**
 * `npm run bench:compare -- BEFORE.json AFTER.json`: what changed between two runs of
 * `npm run bench -- --json` (bench/lib/compare.ts).
 */
import { readFileSync } from 'node:fs';
import { formatComparison, type RecordedRun } from './lib/compare.js';

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  process.stderr.write('usage: npm run bench:compare -- BEFORE.json AFTER.json\n');
  process.exit(2);
}
const read = (path: string): RecordedRun => JSON.parse(readFileSync(path, 'utf8')) as RecordedRun;
process.stdout.write(formatComparison(read(beforeFile), read(afterFile)));
