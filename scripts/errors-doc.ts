/**
 * Renders docs/errors.md from the error catalogue (src/error-catalogue.ts).
 *   npm run docs:errors        rewrites docs/errors.md
 * test/errors-catalogue.test.ts compares the file with renderErrorsDoc() (it never writes it).
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ERROR_AREAS, ERROR_CATALOGUE, type ErrorArea, type ErrorCatalogueEntry } from '../src/error-catalogue.js';

export const ERRORS_DOC = fileURLToPath(new URL('../docs/errors.md', import.meta.url));

const cell = (text: string): string => text.replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function renderErrorsDoc(): string {
  const entries = Object.entries(ERROR_CATALOGUE) as Array<[string, ErrorCatalogueEntry]>;
  const lines = [
    '# Errors',
    '',
    '<!-- Generated from src/error-catalogue.ts by `npm run docs:errors`; do not edit by hand. -->',
    '',
    'Every error answer is JSON `{"detail": ...}` with the status below; `detail` is a string, except',
    'for a request that fails schema validation (422 with a FastAPI-style list, one',
    '`{"loc", "msg", "type"}` per problem). The codes are the `code` of the engine\'s errors (library,',
    'CLI, logs) and of a failed job\'s `error`. No answer carries a stack trace, an absolute server',
    'path or a raw system message: paths are shown relative to `DATA_DIR`, system errors as the',
    'sentences of the "System errors" table, and unexpected failures as "Internal server error"',
    '(details in the log).',
    '',
  ];
  for (const area of Object.keys(ERROR_AREAS) as ErrorArea[]) {
    const rows = entries.filter(([, e]) => e.area === area);
    if (rows.length === 0) continue;
    lines.push(`## ${ERROR_AREAS[area]}`, '', '| code | status | meaning |', '|---|---|---|');
    for (const [code, e] of rows) {
      const meaning = e.message === undefined ? e.description : `${e.description} Answer: "${e.message}".`;
      lines.push(`| \`${code}\` | ${e.status} | ${cell(meaning)} |`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  writeFileSync(ERRORS_DOC, renderErrorsDoc());
  console.log(`wrote ${ERRORS_DOC}`);
}
