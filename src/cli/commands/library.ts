/**
 * `jwst-engine library list|show`: the data library of a running engine (GET /api/jwstdata), with
 * the engine's filters, as the caller may see it (`--token`: "my data" and private records).
 */
import type { Command } from 'commander';
import { remoteEngine } from '../remote.js';
import { textTable } from '../text-table.js';

interface ListOpts {
  level?: string;
  instrument?: string;
  filter?: string;
  target?: string;
  observation?: string;
  mine?: boolean;
  limit: string;
  json?: boolean;
}

interface RecordDto {
  id: string;
  fileName: string;
  filePath: string;
  processingLevel: string;
  observationBaseId?: string;
  isPublic: boolean;
  userId?: string;
  jobId?: string;
  derivedFrom: string[];
  imageInfo?: { instrument?: string; filter?: string; targetName?: string };
}

interface LineageDto {
  jobId: string | null;
  source: string;
  inputs: Array<{ id: string; fileName: string | null }>;
  outputs: Array<{ id: string; fileName: string; jobId: string | null }>;
}

export function libraryCommands(program: Command): void {
  const library = program.command('library').description("a running engine's data library (--engine, --token)");

  library
    .command('list')
    .description('records visible to the caller, newest first')
    .option('--level <levels>', 'calibration levels, e.g. L3 or L2b,L3')
    .option('--instrument <name>', 'NIRCAM, MIRI, ...')
    .option('--filter <name>', 'F444W, ...')
    .option('--target <prefix>', 'target name prefix (case-insensitive)')
    .option('--observation <id>', 'observation id')
    .option('--mine', "only the caller's own records (needs a token)")
    .option('--limit <n>', 'at most this many (1-1000)', '100')
    .option('--json', 'print the records as the engine gives them')
    .action(async (opts: ListOpts, command: Command) => {
      const q = new URLSearchParams({ limit: opts.limit });
      for (const [key, value] of [['level', opts.level], ['instrument', opts.instrument], ['filter', opts.filter], ['target', opts.target], ['observationId', opts.observation]] as const) {
        if (value) q.set(key, value);
      }
      if (opts.mine) q.set('mine', 'true');
      const records = await remoteEngine(command).request<RecordDto[]>('GET', `/api/jwstdata?${q.toString()}`);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify(records, null, 2)}\n`);
        return;
      }
      process.stdout.write(textTable(['ID', 'LEVEL', 'INSTRUMENT', 'FILTER', 'TARGET', 'OWNER', 'FILE'], records.map((r) => [
        r.id, r.processingLevel, r.imageInfo?.instrument ?? '', r.imageInfo?.filter ?? '', r.imageInfo?.targetName ?? '',
        r.userId ? `${r.userId}${r.isPublic ? '' : ' (private)'}` : 'public', r.filePath,
      ])));
    });

  library
    .command('show')
    .description('one record and its lineage: made from which records by which job, and what was made from it')
    .argument('<data-id>', 'record id')
    .option('--json', 'print the record and lineage as JSON')
    .action(async (id: string, opts: { json?: boolean }, command: Command) => {
      const engine = remoteEngine(command);
      const path = `/api/jwstdata/${encodeURIComponent(id)}`;
      const [record, lineage] = await Promise.all([engine.request<RecordDto>('GET', path), engine.request<LineageDto>('GET', `${path}/lineage`)]);
      if (opts.json) {
        process.stdout.write(`${JSON.stringify({ record, lineage }, null, 2)}\n`);
        return;
      }
      const lines = [
        `${record.fileName} (${record.processingLevel})`,
        `  id:          ${record.id}`,
        `  file_path:   ${record.filePath}`,
        `  observation: ${record.observationBaseId ?? '-'}`,
        `  owner:       ${record.userId ?? '-'} (${record.isPublic ? 'public' : 'private'})`,
      ];
      if (lineage.source === 'download') lines.push(`  downloaded:  from MAST${lineage.jobId ? ` by job ${lineage.jobId}` : ''}`);
      else if (lineage.jobId || lineage.inputs.length) {
        lines.push(`  made from:   ${lineage.inputs.map((i) => i.fileName ?? i.id).join(', ') || '-'}${lineage.jobId ? ` by job ${lineage.jobId}` : ''}`);
      }
      for (const o of lineage.outputs) lines.push(`  used by:     ${o.fileName}${o.jobId ? ` (job ${o.jobId})` : ''}`);
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
